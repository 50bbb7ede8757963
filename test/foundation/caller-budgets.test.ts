import { describe, expect, it } from 'vitest'
import { CallerBudgets } from '../../src/plugins/auth'
import type { CounterStore } from '../../src/shared/counters'

// The per-caller limiter's windows (the HTTP behaviour is in rate-limit.test.ts).
describe('CallerBudgets', () => {
  it('counts a caller within a fixed window that opens at its first request, then opens a new one', () => {
    const b = new CallerBudgets(60_000, 100)
    expect(b.take('u', 1_000)).toMatchObject({ count: 1, startMs: 1_000 })
    expect(b.take('u', 30_000)).toMatchObject({ count: 2, startMs: 1_000 })
    expect(b.take('v', 30_000)).toMatchObject({ count: 1, startMs: 30_000 })
    expect(b.take('u', 60_999)).toMatchObject({ count: 3, startMs: 1_000 })
    expect(b.take('u', 61_000)).toMatchObject({ count: 1, startMs: 61_000 })
    expect(b.take('v', 61_000)).toMatchObject({ count: 2, startMs: 30_000 })
  })

  it('past its size drops the caller whose window opened first', () => {
    const b = new CallerBudgets(60_000, 2)
    b.take('a', 0)
    b.take('b', 10)
    b.take('a', 20)
    // a's window opened first: it goes when c arrives, b keeps its count.
    b.take('c', 30)
    expect(b.take('b', 40).count).toBe(2)
    expect(b.take('a', 50)).toMatchObject({ count: 1, startMs: 50 })
    // A caller whose window ended is moved behind the others when its next window opens.
    const d = new CallerBudgets(10, 2)
    d.take('x', 0)
    d.take('y', 5)
    d.take('x', 20)
    d.take('z', 21)
    expect(d.take('x', 22).count).toBe(2)
    expect(d.take('y', 23).count).toBe(1)
  })
  it('flushes every unflushed count in one call and decides on the shared total plus what is still local', async () => {
    const calls: Array<Array<readonly [string, number]>> = []
    const others = new Map<string, number>([['u', 5]]) // another process already counted 5 for u
    const store = {
      add: async (entries: ReadonlyArray<readonly [string, number]>, windowMs: number, now: number) => {
        calls.push([...entries])
        return entries.map(([k, n]) => {
          others.set(k, (others.get(k) ?? 0) + n)
          return { count: others.get(k)!, resetMs: now + windowMs - 1000 }
        })
      },
    } as unknown as CounterStore
    const b = new CallerBudgets(60_000, 100, store)
    b.take('u', 0)
    b.take('u', 1)
    b.take('v', 2)
    expect(b.take('u', 3).count).toBe(3) // local only until the first flush
    await b.flush(10)
    expect(calls).toEqual([
      [
        ['u', 3],
        ['v', 1],
      ],
    ])
    // Shared total (5 + 3) plus this request; the window's end is the store's.
    expect(b.take('u', 20)).toMatchObject({ count: 9, shared: 8, pending: 1, resetMs: 59_010 })
    await b.flush(30)
    expect(calls[1]).toEqual([['u', 1]])
    await b.flush(40) // nothing new: no call
    expect(calls).toHaveLength(2)
  })

  it('keeps the counts of a failed flush for the next one', async () => {
    let fail = true
    const sent: Array<readonly [string, number]> = []
    const store = {
      add: async (entries: ReadonlyArray<readonly [string, number]>, windowMs: number, now: number) => {
        if (fail) throw new Error('store down')
        sent.push(...entries)
        return entries.map(([, n]) => ({ count: n, resetMs: now + windowMs }))
      },
    } as unknown as CounterStore
    const b = new CallerBudgets(60_000, 100, store)
    b.take('u', 0)
    b.take('u', 1)
    await expect(b.flush(5)).rejects.toThrow('store down')
    b.take('u', 6)
    fail = false
    await b.flush(10)
    expect(sent).toEqual([['u', 3]])
  })
  it('sends callers far from their budget only with a full flush; those near it (or with max/20 unflushed) at once', async () => {
    const sent: Array<Array<readonly [string, number]>> = []
    const store = {
      add: async (entries: ReadonlyArray<readonly [string, number]>, windowMs: number, now: number) => {
        sent.push([...entries])
        return entries.map(([, n]) => ({ count: n, resetMs: now + windowMs }))
      },
    } as unknown as CounterStore
    const b = new CallerBudgets(60_000, 100, store, 600)
    b.take('quiet', 0)
    for (let i = 0; i < 30; i++) b.take('busy', i) // 30 = 600 / 20 unflushed: sent with the next flush
    expect(b.unflushed(false)).toBe(1)
    await b.flush(40, false)
    expect(sent).toEqual([[['busy', 30]]])
    await b.flush(50, true)
    expect(sent[1]).toEqual([['quiet', 1]])
    expect(b.unflushed(true)).toBe(0)
  })
})
