import type { FastifyReply } from 'fastify'
import type { CounterStore } from '../../shared/counters'
import { DomainError } from '../../shared/errors'
import { CallerBudgets, LAZY_FLUSH_MS } from './budgets'

/**
 * How often each process adds to the shared store the per-caller counts of callers near their budget (all of them
 * every LAZY_FLUSH_MS, see CallerBudgets), and how often it sweeps expired counters.
 */
const FLUSH_EVERY_MS = 250
const SWEEP_EVERY_MS = 60_000
const CALLER_KEYS_MAX = 50_000

export interface CallerRateLimit {
  /** Requests one caller may make per window (all routes together). */
  max: number
  windowMs: number
}

/**
 * The budget every request counts against, one per caller (the user of a valid token, else the client address:
 * one user cannot spend another's budget, and many users behind one address are not lumped together). Decided
 * in this process's memory (at most keysMax callers) and shared through the counters in batches (CallerBudgets:
 * no store round trip per request; the overshoot across processes is bounded there). Every answer carries the
 * X-RateLimit-* headers; past the budget it is 429 rate_limited with Retry-After.
 */
export class PerCallerLimit {
  private readonly budgets: CallerBudgets
  private readonly limitHeader: string
  private flushing: Promise<void> | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  private lastSweep: number
  private lastFullFlush: number

  /** `clock` times the flushes and sweeps (the windows are taken at the `now` given to admit). */
  constructor(
    private readonly limit: CallerRateLimit,
    private readonly counters: CounterStore,
    private readonly onError: (err: unknown) => void,
    private readonly clock: () => number = Date.now,
    keysMax = CALLER_KEYS_MAX,
  ) {
    this.budgets = new CallerBudgets(limit.windowMs, keysMax, counters, limit.max)
    this.limitHeader = String(limit.max)
    this.lastSweep = clock()
    this.lastFullFlush = this.lastSweep
  }

  /** Counts one request of `key` at `now` and puts the budget on the reply; throws 429 past it. */
  admit(key: string, reply: FastifyReply, now: number): void {
    const window = this.budgets.take(key, now)
    const resetSeconds = Math.ceil((window.resetMs - now) / 1000)
    reply.header('x-ratelimit-limit', this.limitHeader)
    reply.header('x-ratelimit-remaining', String(Math.max(0, this.limit.max - window.count)))
    reply.header('x-ratelimit-reset', String(resetSeconds))
    if (window.count > this.limit.max) {
      const after = Math.max(1, resetSeconds)
      reply.header('retry-after', String(after))
      throw new DomainError('rate_limited', `too many requests; retry in ${after} s`)
    }
  }

  /** Flushes every FLUSH_EVERY_MS the callers that matter (all every LAZY_FLUSH_MS), one flush at a time. */
  start(): void {
    this.timer = setInterval(() => {
      const now = this.clock()
      const all = now - this.lastFullFlush >= LAZY_FLUSH_MS
      if (this.budgets.unflushed(all) === 0 && now - this.lastSweep < SWEEP_EVERY_MS) return
      this.flushing ??= this.flush(all).finally(() => {
        this.flushing = undefined
      })
    }, FLUSH_EVERY_MS)
    this.timer.unref()
  }

  /** Stops the flushes and sends what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flushing
    await this.flush(true)
  }

  /** Adds the unflushed counts to the shared store and sweeps expired counters when due; never throws. */
  async flush(all: boolean): Promise<void> {
    try {
      const now = this.clock()
      if (all) this.lastFullFlush = now
      await this.budgets.flush(now, all)
      if (now - this.lastSweep >= SWEEP_EVERY_MS) {
        this.lastSweep = now
        await this.counters.sweep(now)
      }
    } catch (err) {
      // Nothing is lost: the counts stay unflushed and are sent with the next flush.
      this.onError(err)
    }
  }
}
