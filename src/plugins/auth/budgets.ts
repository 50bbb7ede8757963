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
  /** Has requests waiting for a flush (listed in `lazy` or `urgent`). */
  queued: boolean
  /** Listed in `urgent`: sent with the next flush rather than the next full one. */
  urgent: boolean
}

/** How often a full flush sends every caller with unflushed requests, not only those near their budget. */
export const LAZY_FLUSH_MS = 2000

/**
 * Fixed windows per caller, on the hot path of every request: decided in memory, shared in batches. A window
 * opens at a caller's first request and lasts windowMs; the caller passes while shared total + this process's
 * unflushed count is within the budget. A `flush` adds unflushed counts to the store in one statement and reads
 * back the totals (and the window's end, which may have been opened by another process), so no request waits for
 * the store. The auth plugin flushes every 250 ms the callers that matter: those past half their budget (as this
 * process sees it) or with max/20 unflushed requests; every LAZY_FLUSH_MS it flushes all. Most callers are far
 * from their budget, so the store sees each of them once per LAZY_FLUSH_MS, not once per interval.
 *
 * Overshoot: a process learns of the other processes' requests only at its own flushes. A process holds at most
 * max/20 unflushed requests of a caller below half the budget, and past it only the requests of one flush
 * interval (plus the statement's round trip). So with N processes a caller gets, in one window, at most about
 * max + (N - 1) x (max/20 + its request rate on one process x 0.3 s); e.g. 600 a minute on 2 processes: 630 plus
 * a fraction of a second's requests. Never more than N x max, what each process allows alone. With one process the
 * count is exact.
 *
 * The map is kept in window-start order (a caller whose window is over is re-inserted at the end), so past
 * keysMax callers the one dropped is the one whose window opened first: an ended window, or the oldest. Without a
 * store the windows are this process's alone.
 */
export class CallerBudgets {
  private readonly windows = new Map<string, BudgetWindow>()
  /** Callers with unflushed requests, sent at the next full flush. */
  private lazy: string[] = []
  /** Callers near their budget or with many unflushed requests, sent at the next flush. */
  private urgent: string[] = []
  private readonly half: number
  private readonly batch: number

  /** `max` is the budget (only used to decide which callers are flushed first). */
  constructor(
    private readonly windowMs: number,
    private readonly keysMax: number,
    private readonly store?: CounterStore,
    max = 0,
  ) {
    this.half = max / 2
    this.batch = Math.max(1, Math.floor(max / 20))
  }

  /** Counts one request of `key` at `now`; the window it fell into (its count includes this request). */
  take(key: string, now: number): BudgetWindow {
    let window = this.windows.get(key)
    if (window === undefined || now >= window.resetMs) {
      if (window !== undefined) this.windows.delete(key)
      else if (this.windows.size >= this.keysMax) {
        this.windows.delete(this.windows.keys().next().value as string)
      }
      window = {
        count: 0,
        startMs: now,
        resetMs: now + this.windowMs,
        shared: 0,
        pending: 0,
        queued: false,
        urgent: false,
      }
      this.windows.set(key, window)
    }
    window.count++
    if (this.store !== undefined) {
      window.pending++
      if (!window.queued) {
        window.queued = true
        this.lazy.push(key)
      }
      if (!window.urgent && (window.count > this.half || window.pending >= this.batch)) {
        window.urgent = true
        this.urgent.push(key)
      }
    }
    return window
  }

  /** Callers a flush would send: those near their budget, or (all) every one with unflushed requests. */
  unflushed(all: boolean): number {
    return all ? this.lazy.length + this.urgent.length : this.urgent.length
  }

  /**
   * Adds every unflushed count to the store in one call and takes back the shared totals. On failure the counts
   * stay unflushed (the next flush sends them) and decisions stay local meanwhile.
   */
  async flush(now: number, all = true): Promise<void> {
    if (this.store === undefined) return
    const keys = this.urgent
    this.urgent = []
    if (all) {
      keys.push(...this.lazy)
      this.lazy = []
    }
    if (keys.length === 0) return
    const entries: Array<readonly [string, number]> = []
    const windows: BudgetWindow[] = []
    for (const key of keys) {
      const window = this.windows.get(key)
      // Listed twice (urgent and lazy, or again after its window rolled over): sent once. A key left in `lazy`
      // after being sent urgently is skipped there later the same way, unless it has new requests by then.
      if (window === undefined || !window.queued) continue
      window.queued = false
      window.urgent = false
      if (window.pending === 0) continue
      entries.push([key, window.pending])
      windows.push(window)
    }
    if (entries.length === 0) return
    let totals: Awaited<ReturnType<CounterStore['add']>>
    try {
      totals = await this.store.add(entries, this.windowMs, now)
    } catch (err) {
      for (let i = 0; i < windows.length; i++) {
        const window = windows[i]!
        if (!window.queued && this.windows.get(entries[i]![0]) === window) {
          window.queued = true
          window.urgent = true
          this.urgent.push(entries[i]![0])
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
