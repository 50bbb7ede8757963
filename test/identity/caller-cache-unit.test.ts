import { afterEach, describe, expect, it, vi } from 'vitest'
import { CallerCache } from '../../src/plugins/auth/caller-cache'
import { type CallerLoader, callersOf } from '../../src/plugins/auth/grants'
import type { Caller } from '../../src/shared/authz'

// The grants cache without a database or Fastify (src/plugins/auth/caller-cache.ts): a loader stand-in whose
// reads the test answers when it likes, and a clock the test moves. Through HTTP and SQL: caller-cache.test.ts.

const caller = (userId: string, grants = 0): Caller => ({
  userId,
  username: userId,
  memberId: null,
  residentId: null,
  grants: Array.from({ length: grants }, (_, i) => ({
    id: `g${i}`,
    role: 'clerk' as const,
    orgUnitId: 'u',
    path: 'root',
  })),
})

interface Deferred<T> {
  resolve(v: T): void
  reject(e: Error): void
}

/** A loader whose reads wait until the test answers them (reads[i]). */
function slowLoader() {
  const reads: Array<{ ids: string[]; answer: Deferred<Map<string, Caller>> }> = []
  const read = (ids: string[]) =>
    new Promise<Map<string, Caller>>((resolve, reject) => reads.push({ ids, answer: { resolve, reject } }))
  const loader: CallerLoader = {
    one: async (userId) => (await read([userId])).get(userId) ?? null,
    many: (userIds) => read(userIds),
  }
  return { loader, reads }
}

/** A loader answering at once from `db` (what the database holds now), counting its reads. */
function fastLoader(db: Map<string, Caller>) {
  const reads: string[][] = []
  const loader: CallerLoader = {
    one: async (userId) => {
      reads.push([userId])
      return db.get(userId) ?? null
    },
    many: async (userIds) => {
      reads.push(userIds)
      return new Map(userIds.flatMap((id) => (db.has(id) ? [[id, db.get(id)!] as const] : [])))
    },
  }
  return { loader, reads }
}

const flush = () => new Promise((r) => setImmediate(r))

afterEach(() => {
  vi.useRealTimers()
})

describe('CallerCache', () => {
  it('serves an entry while younger than the TTL, never at or past it', async () => {
    let now = 0
    const db = new Map([['a', caller('a', 1)]])
    const { loader, reads } = fastLoader(db)
    const cache = new CallerCache(loader, { ttlMs: 2000, clock: () => now })
    expect(cache.cached('a')).toBeUndefined()
    expect(await cache.load('a')).toEqual(caller('a', 1))
    db.set('a', caller('a', 0)) // revoked elsewhere
    now = 1999
    expect(cache.cached('a')).toEqual(caller('a', 1))
    expect(await cache.load('a')).toEqual(caller('a', 1))
    expect(reads).toHaveLength(1)
    now = 2000
    expect(cache.cached('a')).toBeUndefined()
    expect(await cache.load('a')).toEqual(caller('a', 0))
    expect(reads).toHaveLength(2)
  })

  it("an entry's age counts from when its read began, not when the answer came", async () => {
    let now = 0
    const { loader, reads } = slowLoader()
    const cache = new CallerCache(loader, { ttlMs: 2000, clock: () => now })
    const loading = cache.load('a')
    now = 1500
    reads[0]!.answer.resolve(new Map([['a', caller('a')]]))
    await loading
    now = 1999
    expect(cache.cached('a')).toEqual(caller('a'))
    now = 2000
    expect(cache.cached('a')).toBeUndefined()
  })

  it('caches an unknown or disabled user as null (401 without a read per request)', async () => {
    const { loader, reads } = fastLoader(new Map())
    const cache = new CallerCache(loader, { clock: () => 0 })
    expect(await cache.load('gone')).toBeNull()
    expect(cache.cached('gone')).toBeNull()
    expect(reads).toHaveLength(1)
  })

  it('a forget during a read does not put the old grants back', async () => {
    const { loader, reads } = slowLoader()
    const cache = new CallerCache(loader, { clock: () => 0 })
    const loading = cache.load('a')
    cache.forget('a') // a grant was revoked while the read was under way
    reads[0]!.answer.resolve(new Map([['a', caller('a', 1)]]))
    expect(await loading).toEqual(caller('a', 1)) // that request's answer, read before the revocation
    expect(cache.cached('a')).toBeUndefined()
    void cache.load('a')
    expect(reads).toHaveLength(2)
  })

  it('a forget during a background re-read does not put the old grants back', async () => {
    let now = 0
    const { loader, reads } = slowLoader()
    const cache = new CallerCache(loader, { ttlMs: 2000, clock: () => now })
    const first = cache.load('a')
    reads[0]!.answer.resolve(new Map([['a', caller('a', 1)]]))
    await first
    cache.cached('a') // in use
    now = 1000
    const refreshing = cache.refresh()
    await flush()
    expect(reads[1]!.ids).toEqual(['a'])
    cache.forget('a')
    reads[1]!.answer.resolve(new Map([['a', caller('a', 1)]]))
    await refreshing
    expect(cache.cached('a')).toBeUndefined()
  })

  it('re-reads in batches the entries in use and at least half the TTL old; the others are left to expire', async () => {
    let now = 0
    const db = new Map(['a', 'b', 'c', 'd', 'e'].map((id) => [id, caller(id)]))
    const { loader, reads } = fastLoader(db)
    const cache = new CallerCache(loader, { ttlMs: 2000, batch: 2, clock: () => now })
    for (const id of ['a', 'b', 'c', 'd']) await cache.load(id)
    now = 500
    await cache.load('e') // read at 500: too young at 1000
    now = 999
    for (const id of ['a', 'b', 'c', 'e']) cache.cached(id) // d is not used again
    await cache.refresh()
    expect(reads).toHaveLength(5) // not yet half the TTL
    now = 1000
    db.delete('c') // disabled meanwhile
    await cache.refresh()
    expect(reads.slice(5)).toEqual([['a', 'b'], ['c']])
    now = 2999
    expect(cache.cached('a')).toEqual(caller('a'))
    expect(cache.cached('c')).toBeNull()
    expect(cache.cached('d')).toBeUndefined() // read at 0, never re-read
    // A re-read entry is due again once a request used it (a, c above; b not); e was too young at 1000.
    await cache.refresh()
    expect(reads.slice(7)).toEqual([['a', 'c'], ['e']])
  })

  it('a failed re-read leaves the entries as they were: used up to their TTL, then read again', async () => {
    let now = 0
    const { loader, reads } = slowLoader()
    const cache = new CallerCache(loader, { ttlMs: 2000, clock: () => now })
    const first = cache.load('a')
    reads[0]!.answer.resolve(new Map([['a', caller('a')]]))
    await first
    cache.cached('a')
    now = 1500
    const refreshing = cache.refresh()
    await flush()
    reads[1]!.answer.reject(new Error('db down'))
    await expect(refreshing).rejects.toThrow('db down')
    now = 1999
    expect(cache.cached('a')).toEqual(caller('a'))
    now = 2000
    expect(cache.cached('a')).toBeUndefined()
  })

  it('past `max` entries forgets them all', async () => {
    const { loader } = fastLoader(new Map(['a', 'b', 'c'].map((id) => [id, caller(id)])))
    const cache = new CallerCache(loader, { max: 2, clock: () => 0 })
    await cache.load('a')
    await cache.load('b')
    await cache.load('c')
    expect(cache.cached('a')).toBeUndefined()
    expect(cache.cached('b')).toBeUndefined()
    expect(cache.cached('c')).toEqual(caller('c'))
  })

  it('start re-reads on a timer, one run at a time, and reports failures; stop waits for the run', async () => {
    vi.useFakeTimers()
    let now = 0
    const { loader, reads } = slowLoader()
    const cache = new CallerCache(loader, { ttlMs: 2000, clock: () => now })
    const first = cache.load('a')
    reads[0]!.answer.resolve(new Map([['a', caller('a')]]))
    await first
    cache.cached('a')
    now = 1000
    const errors: unknown[] = []
    cache.start(500, (err) => errors.push(err))
    await vi.advanceTimersByTimeAsync(500)
    expect(reads).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1500) // the run is still waiting: no second one
    expect(reads).toHaveLength(2)
    reads[1]!.answer.reject(new Error('db down'))
    await vi.advanceTimersByTimeAsync(0)
    expect(errors).toEqual([new Error('db down')])
    cache.cached('a')
    await vi.advanceTimersByTimeAsync(500)
    expect(reads).toHaveLength(3)
    let stopped = false
    const stopping = cache.stop().then(() => {
      stopped = true
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(false)
    reads[2]!.answer.resolve(new Map())
    await stopping
    await vi.advanceTimersByTimeAsync(5000)
    expect(reads).toHaveLength(3)
  })
})

describe('callersOf (rows of the grants statement)', () => {
  it('groups the rows of each user into one caller; a user without grants has none', () => {
    const callers = callersOf([
      {
        userId: 'a',
        username: 'ann',
        memberId: 'm',
        residentId: null,
        grantId: 'g1',
        role: 'clerk',
        orgUnitId: 'o1',
        path: 'p1',
      },
      {
        userId: 'a',
        username: 'ann',
        memberId: 'm',
        residentId: null,
        grantId: 'g2',
        role: 'member',
        orgUnitId: 'o2',
        path: 'p2',
      },
      {
        userId: 'b',
        username: 'bob',
        memberId: null,
        residentId: 'r',
        grantId: null,
        role: null,
        orgUnitId: null,
        path: null,
      },
    ])
    expect([...callers.keys()]).toEqual(['a', 'b'])
    expect(callers.get('a')).toEqual({
      userId: 'a',
      username: 'ann',
      memberId: 'm',
      residentId: null,
      grants: [
        { id: 'g1', role: 'clerk', orgUnitId: 'o1', path: 'p1' },
        { id: 'g2', role: 'member', orgUnitId: 'o2', path: 'p2' },
      ],
    })
    expect(callers.get('b')).toEqual({
      userId: 'b',
      username: 'bob',
      memberId: null,
      residentId: 'r',
      grants: [],
    })
  })
})
