import type { FastifyReply } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PerCallerLimit } from '../../src/plugins/auth/per-caller-limit'
import type { CounterStore } from '../../src/shared/counters'

// The per-caller budget of the auth plugin without Fastify (src/plugins/auth/per-caller-limit.ts): the headers
// and the 429 it answers, and the flushes that share its counts. The windows: caller-budgets.test.ts; through
// HTTP and across processes: rate-limit.test.ts.

function reply() {
  const headers: Record<string, string> = {}
  const r = {
    headers,
    header(k: string, v: string) {
      headers[k] = v
      return r
    },
  }
  return r
}

/** A store that records what is added and swept (or fails while `down`). */
function store() {
  const s = {
    down: false,
    added: [] as Array<Array<readonly [string, number]>>,
    swept: [] as number[],
    add: async (entries: ReadonlyArray<readonly [string, number]>, windowMs: number, now: number) => {
      if (s.down) throw new Error('store down')
      s.added.push([...entries])
      return entries.map(([, n]) => ({ count: n, resetMs: now + windowMs }))
    },
    sweep: async (now: number) => {
      s.swept.push(now)
    },
  }
  return s
}

const asStore = (s: ReturnType<typeof store>) => s as unknown as CounterStore
const asReply = (r: ReturnType<typeof reply>) => r as unknown as FastifyReply

afterEach(() => {
  vi.useRealTimers()
})

describe('PerCallerLimit', () => {
  it('puts the budget on every answer; past it, 429 rate_limited with Retry-After', () => {
    const limit = new PerCallerLimit({ max: 2, windowMs: 60_000 }, asStore(store()), () => {})
    const first = reply()
    limit.admit('u', asReply(first), 1_000)
    expect(first.headers).toEqual({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '60',
    })
    limit.admit('u', asReply(reply()), 1_500)
    const over = reply()
    expect(() => limit.admit('u', asReply(over), 30_600)).toThrow(
      expect.objectContaining({ code: 'rate_limited' }),
    )
    expect(over.headers).toMatchObject({ 'x-ratelimit-remaining': '0', 'retry-after': '31' })
    // Another caller has a budget of its own.
    expect(() => limit.admit('v', asReply(reply()), 30_600)).not.toThrow()
    // Retry-After is at least 1 s, also in the last fraction of a second of the window.
    const late = reply()
    expect(() => limit.admit('u', asReply(late), 60_999)).toThrow()
    expect(late.headers['retry-after']).toBe('1')
  })

  it('a failed flush goes to onError, keeps the counts and never throws; the next flush sends them', async () => {
    const s = store()
    const errors: unknown[] = []
    const limit = new PerCallerLimit(
      { max: 100, windowMs: 60_000 },
      asStore(s),
      (e) => errors.push(e),
      () => 0,
    )
    limit.admit('u', asReply(reply()), 0)
    limit.admit('u', asReply(reply()), 1)
    s.down = true
    await limit.flush(true)
    expect(errors).toEqual([new Error('store down')])
    s.down = false
    await limit.flush(true)
    expect(s.added).toEqual([[['u', 2]]])
  })

  it('sweeps expired counters once a minute, at a flush', async () => {
    const s = store()
    let now = 0
    const limit = new PerCallerLimit(
      { max: 100, windowMs: 60_000 },
      asStore(s),
      () => {},
      () => now,
    )
    now = 59_999
    await limit.flush(true)
    expect(s.swept).toEqual([])
    now = 60_000
    await limit.flush(true)
    await limit.flush(true)
    expect(s.swept).toEqual([60_000])
  })

  it('flushes callers near their budget within 250 ms, the others every 2 s; close sends what is left', async () => {
    vi.useFakeTimers()
    const s = store()
    let now = 0
    const limit = new PerCallerLimit(
      { max: 100, windowMs: 60_000 },
      asStore(s),
      () => {},
      () => now,
    )
    limit.start()
    limit.admit('quiet', asReply(reply()), now)
    // 'busy' has max/20 unflushed requests; 'quiet' has one.
    for (let i = 0; i < 5; i++) limit.admit('busy', asReply(reply()), now)
    now = 250
    await vi.advanceTimersByTimeAsync(250)
    expect(s.added).toEqual([[['busy', 5]]])
    now = 2000
    await vi.advanceTimersByTimeAsync(1750)
    expect(s.added.slice(1)).toEqual([[['quiet', 1]]])
    limit.admit('late', asReply(reply()), now)
    await limit.close()
    expect(s.added.slice(2)).toEqual([[['late', 1]]])
    now = 10_000
    await vi.advanceTimersByTimeAsync(8000)
    expect(s.added).toHaveLength(3)
  })
})
