import type { CounterStore } from '../../shared/counters'

/** One caller's window as this process sees it. */
export interface BudgetWindow {
  /** Requests in the window: the shared total at the last flush plus this process's requests not yet flushed. */
  count: number
  startMs: number
  /** When the window ends (Unix ms); the shared store's end once a flush has returned. */
  resetMs: number
  /** The total the shared store returned at the last flush (all processes, this one's flushed requests included). */
  shared: number
  /** This process's requests not yet added to the shared store. */
  pending: number
  /** In the list of windows the next flush sends. */
  queued: boolean
}

/**
 * Fixed windows per caller, on the hot path of every request: decided in memory, shared in batches. A window
 * opens at a caller's first request and lasts windowMs; the caller passes while shared total + this process's
 * unflushed count is within the budget. Every `flush` (the auth plugin runs one every FLUSH_EVERY_MS) adds all
 * unflushed counts to the store in one statement and reads back the totals (and the window's end, which may have
 * been opened by another process), so no request waits for the store.
 *
 * Overshoot: a process only learns of the other processes' requests at its flushes, so with N processes a caller
 * can get, in one window, up to max plus what the other N - 1 processes admit it between their last two flushes
 * (about its request rate on each times flush period + round trip); never more than N x max, which is what each
 * process in isolation allows. With one process nothing changes: the count is exact.
 *
 * The map is kept in window-start order (a caller whose window is over is re-inserted at the end), so past
 * keysMax callers the one dropped is the one whose window opened first: an ended window, or the oldest. Without a
 * store the windows are this process's alone.
 */
export class CallerBudgets {
  private readonly windows = new Map<string, BudgetWindow>()
  private dirty: string[] = []

  constructor(
    private readonly windowMs: number,
    private readonly keysMax: number,
    private readonly store?: CounterStore,
  ) {}

  /** Counts one request of `key` at `now`; the window it fell into (its count includes this request). */
  take(key: string, now: number): BudgetWindow {
    let window = this.windows.get(key)
    if (window === undefined || now >= window.resetMs) {
      if (window !== undefined) this.windows.delete(key)
      else if (this.windows.size >= this.keysMax) {
        this.windows.delete(this.windows.keys().next().value as string)
      }
      window = { count: 0, startMs: now, resetMs: now + this.windowMs, shared: 0, pending: 0, queued: false }
      this.windows.set(key, window)
    }
    window.count++
    if (this.store !== undefined) {
      window.pending++
      if (!window.queued) {
        window.queued = true
        this.dirty.push(key)
      }
    }
    return window
  }

  /** Callers with requests not yet in the shared store. */
  get unflushed(): number {
    return this.dirty.length
  }

  /**
   * Adds every unflushed count to the store in one call and takes back the shared totals. On failure the counts
   * stay unflushed (the next flush sends them) and decisions stay local meanwhile.
   */
  async flush(now: number): Promise<void> {
    if (this.store === undefined || this.dirty.length === 0) return
    const keys = this.dirty
    this.dirty = []
    const entries: Array<readonly [string, number]> = []
    const windows: BudgetWindow[] = []
    for (const key of keys) {
      const window = this.windows.get(key)
      // Listed twice when its window rolled over since (the new one is queued again): sent once.
      if (window === undefined || !window.queued) continue
      window.queued = false
      if (window.pending === 0) continue
      entries.push([key, window.pending])
      windows.push(window)
    }
    let totals: Awaited<ReturnType<CounterStore['add']>>
    try {
      totals = await this.store.add(entries, this.windowMs, now)
    } catch (err) {
      for (let i = 0; i < windows.length; i++) {
        const window = windows[i]!
        if (!window.queued && this.windows.get(entries[i]![0]) === window) {
          window.queued = true
          this.dirty.push(entries[i]![0])
        }
      }
      throw err
    }
    for (let i = 0; i < windows.length; i++) {
      const window = windows[i]!
      const total = totals[i]!
      // Requests taken while the statement ran stay pending for the next flush.
      window.pending -= entries[i]![1]
      window.shared = total.count
      window.resetMs = total.resetMs
      window.startMs = total.resetMs - this.windowMs
      window.count = window.shared + window.pending
    }
  }
}
