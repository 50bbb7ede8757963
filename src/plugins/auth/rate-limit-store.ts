import type { CounterStore } from '../../shared/counters'

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void

/**
 * A store for @fastify/rate-limit (the per-address budget of certificate verification, app.rateLimit) on the
 * shared counters: every process counts into the same windows. The plugin constructs the class itself, so it is
 * made per store.
 */
export function rateLimitStore(counters: CounterStore, clock: () => number) {
  return class SharedRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number) {
      const now = clock()
      counters.add([[key, 1]], timeWindow, now).then(
        ([window]) => callback(null, { current: window!.count, ttl: Math.max(0, window!.resetMs - now) }),
        (err: Error) => callback(err),
      )
    }

    child() {
      return this
    }
  }
}
