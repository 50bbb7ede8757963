import type { Caller } from '../../shared/authz'
import type { CallerLoader } from './grants'

export interface CallerCacheOptions {
  /** How long an entry is used after the read that filled it began (default 2 s). */
  ttlMs?: number
  /** Entries kept; one more and all are forgotten (default 10,000). */
  max?: number
  /** Users one background statement re-reads (default 500). */
  batch?: number
  clock?: () => number
}

interface CacheEntry {
  /** When the read that filled it began. */
  at: number
  caller: Caller | null
  /** Read by a request since `at`: worth re-reading before it goes stale. */
  used: boolean
}

/**
 * The grants of recent callers. Grants are read from the database; this cache only spares a query per request
 * for a few seconds, so a revoked grant stops working within ttlMs in other processes and at once in the
 * revoking one (forget). An entry is used while younger than ttlMs (its `at` is taken before the read that
 * filled it). A request that finds none, or a stale one, reads its user on the spot (load); callers that keep
 * coming are re-read in the background, many users per statement (refresh), so a busy member does not pay a
 * second round trip every ttlMs and the database sees a few statements a second instead of one per active user
 * and period.
 */
export class CallerCache {
  private readonly entries = new Map<string, CacheEntry>()
  // Bumped by forget: a read that began before a grant or revocation in this process must not put the old
  // grants back into the cache after forget dropped them.
  private generation = 0
  private readonly ttlMs: number
  private readonly max: number
  private readonly batch: number
  private readonly clock: () => number
  private timer: ReturnType<typeof setInterval> | undefined
  private refreshing: Promise<void> | undefined

  constructor(
    private readonly loader: CallerLoader,
    opts: CallerCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 2000
    this.max = opts.max ?? 10_000
    this.batch = opts.batch ?? 500
    this.clock = opts.clock ?? Date.now
  }

  /** The cached caller of a user if still fresh at `now` (null: no such enabled user), else undefined. */
  cached(userId: string, now = this.clock()): Caller | null | undefined {
    const hit = this.entries.get(userId)
    if (hit === undefined || now - hit.at >= this.ttlMs) return undefined
    hit.used = true
    return hit.caller
  }

  /** The caller of a user: cached if fresh, else read (and cached unless `forget` ran meanwhile). */
  async load(userId: string): Promise<Caller | null> {
    const now = this.clock()
    const fresh = this.cached(userId, now)
    if (fresh !== undefined) return fresh
    const began = this.generation
    const caller = await this.loader.one(userId)
    if (this.generation === began) this.remember(userId, now, caller)
    return caller
  }

  /** Drops a user's entry (after a grant or revocation) so the change applies at once in this process. */
  forget(userId: string): void {
    this.generation++
    this.entries.delete(userId)
  }

  /**
   * Re-reads, before they go stale, the callers used since their last read and older than half the TTL, up to
   * `batch` users per statement. A failure stops the run (a request that finds its caller stale reads it itself).
   */
  async refresh(): Promise<void> {
    const now = this.clock()
    const due: string[] = []
    for (const [userId, entry] of this.entries) {
      if (entry.used && now - entry.at >= this.ttlMs / 2) due.push(userId)
    }
    for (let i = 0; i < due.length; i += this.batch) {
      const ids = due.slice(i, i + this.batch)
      const at = this.clock()
      const began = this.generation
      const callers = await this.loader.many(ids)
      if (this.generation !== began) continue
      for (const userId of ids) this.remember(userId, at, callers.get(userId) ?? null)
    }
  }

  /** Runs `refresh` every `everyMs`, one run at a time; a failed run goes to `onError`. */
  start(everyMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      this.refreshing ??= this.refresh()
        .catch(onError)
        .finally(() => {
          this.refreshing = undefined
        })
    }, everyMs)
    this.timer.unref()
  }

  /** Stops the background runs, after the one under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.refreshing
  }

  private remember(userId: string, at: number, caller: Caller | null) {
    if (this.entries.size >= this.max && !this.entries.has(userId)) this.entries.clear()
    this.entries.set(userId, { at, caller, used: false })
  }
}
