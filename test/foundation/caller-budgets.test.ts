import { describe, expect, it } from 'vitest'
import { CallerBudgets } from '../../src/plugins/auth'

// The per-caller limiter's windows (the HTTP behaviour is in rate-limit.test.ts).
describe('CallerBudgets', () => {
  it('counts a caller within a fixed window that opens at its first request, then opens a new one', () => {
    const b = new CallerBudgets(60_000, 100)
    expect(b.take('u', 1_000)).toEqual({ count: 1, startMs: 1_000 })
    expect(b.take('u', 30_000)).toEqual({ count: 2, startMs: 1_000 })
    expect(b.take('v', 30_000)).toEqual({ count: 1, startMs: 30_000 })
    expect(b.take('u', 60_999)).toEqual({ count: 3, startMs: 1_000 })
    expect(b.take('u', 61_000)).toEqual({ count: 1, startMs: 61_000 })
    expect(b.take('v', 61_000)).toEqual({ count: 2, startMs: 30_000 })
  })

  it('past its size drops the caller whose window opened first', () => {
    const b = new CallerBudgets(60_000, 2)
    b.take('a', 0)
    b.take('b', 10)
    b.take('a', 20)
    // a's window opened first: it goes when c arrives, b keeps its count.
    b.take('c', 30)
    expect(b.take('b', 40).count).toBe(2)
    expect(b.take('a', 50)).toEqual({ count: 1, startMs: 50 })
    // A caller whose window ended is moved behind the others when its next window opens.
    const d = new CallerBudgets(10, 2)
    d.take('x', 0)
    d.take('y', 5)
    d.take('x', 20)
    d.take('z', 21)
    expect(d.take('x', 22).count).toBe(2)
    expect(d.take('y', 23).count).toBe(1)
  })
})
