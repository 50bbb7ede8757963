import type { Redis } from 'ioredis'
import { type Db, prepared } from '../db/client'
import { DomainError } from './errors'

/**
 * Counters every API process shares, so that N processes do not mean N times the attempts: in PostgreSQL (the
 * app's own database, PGlite included; tables of migrations/0028_auth_counters.sql) by default, in Redis when
 * REDIS_URL is set. Times are Unix milliseconds passed in by the caller (the API process's clock), so tests can
 * move time and a process's in-memory windows agree with the stored ones.
 */

/** A fixed window of a key after an addition: its total and when it ends (Unix ms). */
export interface CounterWindow {
  count: number
  resetMs: number
}

/** Growing delays for failed logins: past `freeFailures`, each attempt waits baseMs * 2^(failures - freeFailures). */
export interface DelayPolicy {
  freeFailures: number
  baseMs: number
  maxMs: number
  /** A key's failures are forgotten this long after its last failure. */
  memoryMs: number
}

export interface CounterStore {
  readonly kind: 'postgres' | 'redis'
  /**
   * Adds each n to its key's fixed window (opened by the key's first addition, lasting windowMs, then a new one);
   * returns the totals, in the order of `entries`. Keys must be distinct.
   */
  add(
    entries: ReadonlyArray<readonly [string, number]>,
    windowMs: number,
    nowMs: number,
  ): Promise<CounterWindow[]>
  /**
   * One attempt on a throttled key. 0: it may go ahead (past the free failures this books the delay for the next
   * attempt at once, so attempts sent together cannot all slip through); else how many ms to wait.
   */
  claim(key: string, policy: DelayPolicy, nowMs: number): Promise<number>
  /** Counts a failure on each key (and sets the delay before the next attempt). */
  fail(keys: readonly string[], policy: DelayPolicy, nowMs: number): Promise<void>
  /** Forgets the failures of the keys. */
  clear(keys: readonly string[]): Promise<void>
  /** Remembers that `address` logged in to `account`, for ttlMs. */
  remember(account: string, address: string, ttlMs: number, nowMs: number): Promise<void>
  isKnown(account: string, address: string, nowMs: number): Promise<boolean>
  /** Drops what has expired (PostgreSQL; Redis expires keys itself). */
  sweep(nowMs: number): Promise<void>
  close(): Promise<void>
}

/** Exponent cap: 2^40 times any sane base is already past any cap, and power() stays finite. */
const MAX_DOUBLINGS = 40

// ------------------------------------------------------------------------------------------ PostgreSQL

const delaySql = (failures: string) =>
  `least($5::float8, $4::float8 * power(2::float8, least(${failures} - $3::int, ${MAX_DOUBLINGS})))::bigint`

const ADD = {
  name: 'counters_add',
  // Sorted, so that two processes adding overlapping keys lock the rows in the same order (no deadlock).
  text: `insert into auth_counters as c (key, count, window_end_ms)
         select t.k, t.n, $2::bigint + $3::bigint
           from jsonb_to_recordset($1::jsonb) as t(k text, n bigint) order by t.k
         on conflict (key) do update set
           count = case when c.window_end_ms <= $2::bigint then excluded.count else c.count + excluded.count end,
           window_end_ms = case when c.window_end_ms <= $2::bigint then excluded.window_end_ms else c.window_end_ms end
         returning key, count, window_end_ms as "windowEndMs"`,
}

// The main query reads the snapshot before the update: a row means the key is in its delay (refused); no row
// means it was claimed, or has too few failures to be throttled.
const CLAIM = {
  name: 'counters_claim',
  text: `with claimed as (
           update auth_failures set blocked_until_ms = $2::bigint + ${delaySql('failures')}
            where key = $1 and failures >= $3::int and expires_at_ms > $2::bigint and blocked_until_ms <= $2::bigint
           returning key
         )
         select blocked_until_ms - $2::bigint as "waitMs" from auth_failures
          where key = $1 and failures >= $3::int and expires_at_ms > $2::bigint
            and not exists (select 1 from claimed)`,
}

const NEW_FAILURES = 'case when f.expires_at_ms <= $2::bigint then 1 else f.failures + 1 end'
const FAIL = {
  name: 'counters_fail',
  text: `insert into auth_failures as f (key, failures, blocked_until_ms, expires_at_ms)
         select t.k, 1, case when 1 >= $3::int then $2::bigint + ${delaySql('1')} else 0 end, $2::bigint + $6::bigint
           from jsonb_array_elements_text($1::jsonb) as t(k) order by t.k
         on conflict (key) do update set
           failures = ${NEW_FAILURES},
           blocked_until_ms = greatest(
             case when f.expires_at_ms <= $2::bigint then 0 else f.blocked_until_ms end,
             case when ${NEW_FAILURES} >= $3::int then $2::bigint + ${delaySql(`(${NEW_FAILURES})`)} else 0 end),
           expires_at_ms = $2::bigint + $6::bigint`,
}

const CLEAR = {
  name: 'counters_clear',
  text: 'delete from auth_failures where key in (select jsonb_array_elements_text($1::jsonb))',
}

const REMEMBER = {
  name: 'counters_remember',
  text: `insert into auth_known_addresses (account, address, expires_at_ms) values ($1, $2, $3::bigint)
         on conflict (account, address) do update set expires_at_ms = excluded.expires_at_ms`,
}

const KNOWN = {
  name: 'counters_known',
  text: `select 1 as known from auth_known_addresses
          where account = $1 and address = $2 and expires_at_ms > $3::bigint`,
}

const SWEEP = {
  name: 'counters_sweep',
  text: `with c as (delete from auth_counters where window_end_ms < $1::bigint returning 1),
              f as (delete from auth_failures where expires_at_ms < $1::bigint returning 1)
         delete from auth_known_addresses where expires_at_ms < $1::bigint`,
}

const DEADLOCK = '40P01'

/** In the app's database (pg pool or PGlite): one statement per operation, named statements on a pg pool. */
export class PostgresCounterStore implements CounterStore {
  readonly kind = 'postgres'
  constructor(private readonly db: Db) {}

  async add(entries: ReadonlyArray<readonly [string, number]>, windowMs: number, nowMs: number) {
    if (entries.length === 0) return []
    const json = JSON.stringify(entries.map(([k, n]) => ({ k, n })))
    let rows: Array<{ key: string; count: string | number; windowEndMs: string | number }>
    try {
      rows = await prepared(this.db, ADD, [json, String(nowMs), String(windowMs)])
    } catch (err) {
      // Keys are locked in sorted order, so this should not happen; if it does, once more is enough.
      if ((err as { code?: string }).code !== DEADLOCK) throw err
      rows = await prepared(this.db, ADD, [json, String(nowMs), String(windowMs)])
    }
    const byKey = new Map(rows.map((r) => [r.key, r]))
    return entries.map(([k]) => {
      const r = byKey.get(k)!
      return { count: Number(r.count), resetMs: Number(r.windowEndMs) }
    })
  }

  async claim(key: string, p: DelayPolicy, nowMs: number) {
    const rows = await prepared<{ waitMs: string | number }>(this.db, CLAIM, [
      key,
      String(nowMs),
      p.freeFailures,
      p.baseMs,
      p.maxMs,
    ])
    if (rows.length === 0) return 0
    // Claimed by a concurrent attempt a moment ago (its delay is not in our snapshot): still a refusal.
    return Math.max(1, Number(rows[0]!.waitMs))
  }

  async fail(keys: readonly string[], p: DelayPolicy, nowMs: number) {
    if (keys.length === 0) return
    await prepared(this.db, FAIL, [
      JSON.stringify(keys),
      String(nowMs),
      p.freeFailures,
      p.baseMs,
      p.maxMs,
      String(p.memoryMs),
    ])
  }

  async clear(keys: readonly string[]) {
    if (keys.length > 0) await prepared(this.db, CLEAR, [JSON.stringify(keys)])
  }

  async remember(account: string, address: string, ttlMs: number, nowMs: number) {
    await prepared(this.db, REMEMBER, [account, address, String(nowMs + ttlMs)])
  }

  async isKnown(account: string, address: string, nowMs: number) {
    return (await prepared(this.db, KNOWN, [account, address, String(nowMs)])).length > 0
  }

  async sweep(nowMs: number) {
    await prepared(this.db, SWEEP, [String(nowMs)])
  }

  async close() {}
}

// ------------------------------------------------------------------------------------------ Redis

// Each script touches one key, so it works on a Redis Cluster too. Numbers leave Lua through string.format:
// Lua 5.1 would print large ones in exponent form.
const ADD_LUA = `
local c = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {c, ttl}`

const DELAY_LUA = `
local function delay(f)
  return math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(f - tonumber(ARGV[2]), ${MAX_DOUBLINGS}))
end`

// ARGV: now, free, base, max
const CLAIM_LUA = `${DELAY_LUA}
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
if f < tonumber(ARGV[2]) then return 0 end
local now = tonumber(ARGV[1])
local b = tonumber(redis.call('HGET', KEYS[1], 'b') or '0')
if b > now then return string.format('%.0f', b - now) end
redis.call('HSET', KEYS[1], 'b', string.format('%.0f', now + delay(f)))
return 0`

// ARGV: now, free, base, max, memory
const FAIL_LUA = `${DELAY_LUA}
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
local now = tonumber(ARGV[1])
if f >= tonumber(ARGV[2]) then
  local until_ = now + delay(f)
  local b = tonumber(redis.call('HGET', KEYS[1], 'b') or '0')
  if until_ > b then redis.call('HSET', KEYS[1], 'b', string.format('%.0f', until_)) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return f`

type Scripted = Redis & {
  vpAdd(key: string, n: number, windowMs: number): Promise<[number, number]>
  vpClaim(key: string, now: number, free: number, base: number, max: number): Promise<number | string>
  vpFail(key: string, now: number, free: number, base: number, max: number, memory: number): Promise<number>
}

/**
 * In Redis: windows are keys with a TTL (INCRBY + PEXPIRE), failures a hash per key expiring after a quiet
 * `memoryMs`, known addresses keys with a TTL. Windows run on Redis's clock (the TTL), delays on the API's.
 */
export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis'

  /**
   * ioredis is loaded here, only when REDIS_URL is set: loaded at every start it held resident memory
   * in the servers that keep their counters in PostgreSQL (docs/performance.md, "Server memory").
   */
  static async open(url: string, onError: (err: Error) => void, prefix = 'vp:'): Promise<RedisCounterStore> {
    const { Redis } = await import('ioredis')
    // Fail fast rather than queue: a request waiting on a dead Redis is worse than a 503 (or, for the per-caller
    // budget, counting locally until it is back).
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 5000 })
    redis.on('error', onError)
    redis.defineCommand('vpAdd', { numberOfKeys: 1, lua: ADD_LUA })
    redis.defineCommand('vpClaim', { numberOfKeys: 1, lua: CLAIM_LUA })
    redis.defineCommand('vpFail', { numberOfKeys: 1, lua: FAIL_LUA })
    return new RedisCounterStore(redis as Scripted, prefix)
  }

  private constructor(
    private readonly redis: Scripted,
    private readonly prefix: string,
  ) {}

  async add(entries: ReadonlyArray<readonly [string, number]>, windowMs: number, nowMs: number) {
    if (entries.length === 0) return []
    const pipeline = this.redis.pipeline() as unknown as Scripted & {
      exec(): Promise<[Error | null, unknown][]>
    }
    for (const [k, n] of entries) pipeline.vpAdd(`${this.prefix}c:${k}`, n, windowMs)
    const results = (await pipeline.exec()) ?? []
    return results.map(([err, value]) => {
      if (err) throw err
      const [count, ttl] = value as [number, number]
      return { count: Number(count), resetMs: nowMs + Number(ttl) }
    })
  }

  async claim(key: string, p: DelayPolicy, nowMs: number) {
    return Number(
      await this.redis.vpClaim(`${this.prefix}f:${key}`, nowMs, p.freeFailures, p.baseMs, p.maxMs),
    )
  }

  async fail(keys: readonly string[], p: DelayPolicy, nowMs: number) {
    await Promise.all(
      keys.map((k) =>
        this.redis.vpFail(`${this.prefix}f:${k}`, nowMs, p.freeFailures, p.baseMs, p.maxMs, p.memoryMs),
      ),
    )
  }

  async clear(keys: readonly string[]) {
    await Promise.all(keys.map((k) => this.redis.del(`${this.prefix}f:${k}`)))
  }

  private knownKey(account: string, address: string) {
    return `${this.prefix}k:${account}\n${address}`
  }

  async remember(account: string, address: string, ttlMs: number) {
    await this.redis.set(this.knownKey(account, address), '1', 'PX', ttlMs)
  }

  async isKnown(account: string, address: string) {
    return (await this.redis.exists(this.knownKey(account, address))) === 1
  }

  async sweep() {}

  async close() {
    await this.redis.quit().catch(() => this.redis.disconnect())
  }
}

/**
 * The store with every failure turned into 503 unavailable (retry), not an internal error; the cause is kept for
 * the log, never shown. For Redis: PostgreSQL's failures are already recognised by the error handler.
 */
export function unavailableOnError(store: CounterStore): CounterStore {
  const guard =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args)
      } catch (err) {
        const error = new DomainError('unavailable', 'the throttling store is unavailable; retry shortly')
        error.cause = err
        throw error
      }
    }
  return {
    kind: store.kind,
    add: guard(store.add.bind(store)),
    claim: guard(store.claim.bind(store)),
    fail: guard(store.fail.bind(store)),
    clear: guard(store.clear.bind(store)),
    remember: guard(store.remember.bind(store)),
    isKnown: guard(store.isKnown.bind(store)),
    sweep: store.sweep.bind(store),
    close: store.close.bind(store),
  }
}
