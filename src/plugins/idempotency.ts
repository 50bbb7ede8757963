import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { type Db, one, transaction } from '../db/client'
import type { Caller } from '../shared/authz'
import { DomainError, domainErrorFromProblem, type Problem } from '../shared/errors'

export interface IdempotentResult<T> {
  status: number
  body: T
  replayed: boolean
}

/** Canonical JSON (sorted keys) so that {a,b} and {b,a} are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

export function requestHash(operation: string, request: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonical(request)).digest('hex')
}

/**
 * Runs `work` at most once per (user, key). The key row is inserted first, in the same transaction as
 * the work, so:
 * - a concurrent request with the same key blocks on the primary key until this one commits, then
 *   replays its stored answer (never does the work twice);
 * - a crash leaves neither the work nor the key, so a retry does the work;
 * - a refusal (DomainError, e.g. 422 insufficient_points) is stored too, and replays as the same refusal,
 *   while the work it began is rolled back to a savepoint.
 * The same key with another operation or body answers 409 idempotency_key_reused.
 */
export async function idempotent<T>(
  db: Db,
  caller: Caller,
  key: string,
  operation: string,
  request: unknown,
  work: (tx: Db) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  const hash = requestHash(operation, request)
  const outcome = await transaction(db, async (tx) => {
    const claimed = await one(
      tx,
      sql`insert into idempotency_keys (user_id, key, operation, request_hash, status_code, response_body)
          values (${caller.userId}, ${key}, ${operation}, ${hash}, 0, 'null')
          on conflict do nothing returning 1 as ok`,
    )
    if (!claimed) {
      const stored = await one<{ requestHash: string; statusCode: number; responseBody: unknown }>(
        tx,
        sql`select request_hash as "requestHash", status_code as "statusCode", response_body as "responseBody"
            from idempotency_keys where user_id = ${caller.userId} and key = ${key}`,
      )
      if (!stored || stored.requestHash !== hash) throw keyReused()
      return {
        status: stored.statusCode,
        body: stored.responseBody,
        replayed: true,
        problem: stored.statusCode >= 400,
      }
    }
    let result: { status: number; body: unknown; problem: boolean }
    try {
      const done = await tx.transaction((inner) => work(inner as unknown as Db))
      result = { ...done, problem: false }
    } catch (err) {
      if (!(err instanceof DomainError)) throw err
      result = { status: err.status, body: err.toProblem(), problem: true }
    }
    await tx.execute(
      sql`update idempotency_keys set status_code = ${result.status}, response_body = ${JSON.stringify(result.body)}::json
          where user_id = ${caller.userId} and key = ${key}`,
    )
    return { ...result, replayed: false }
  })
  if (outcome.problem) throw domainErrorFromProblem(outcome.body as Problem)
  return { status: outcome.status, body: outcome.body as T, replayed: outcome.replayed }
}

function keyReused(): DomainError {
  return new DomainError(
    'idempotency_key_reused',
    'this Idempotency-Key was already used with a different request; use a new key for a new request',
  )
}

/** What an Idempotency-Key holds: the request it was used for and the answer given. */
export interface StoredAnswer {
  requestHash: string
  statusCode: number
  responseBody: unknown
}

/**
 * For commands that claim the key inside their own one-statement write (redemption_reserve) instead of
 * through `idempotent`: the stored answer as this request's answer, a replay (a stored refusal is thrown
 * again), or 409 idempotency_key_reused when the key was used for another request.
 */
export function replayStored<T>(stored: StoredAnswer, hash: string): IdempotentResult<T> {
  if (stored.requestHash !== hash) throw keyReused()
  if (stored.statusCode >= 400) throw domainErrorFromProblem(stored.responseBody as Problem)
  return { status: stored.statusCode, body: stored.responseBody as T, replayed: true }
}

/**
 * Stores a refusal under the key (one statement, nothing else was written) and throws it, so a retry with
 * the key gets the same refusal. If the key meanwhile holds an answer (a concurrent request with the same
 * key got there first), that answer is this request's answer too.
 */
export async function storeRefusal<T>(
  db: Db,
  caller: Caller,
  key: string,
  operation: string,
  hash: string,
  refusal: DomainError,
): Promise<IdempotentResult<T>> {
  const claimed = await one(
    db,
    sql`insert into idempotency_keys (user_id, key, operation, request_hash, status_code, response_body)
        values (${caller.userId}, ${key}, ${operation}, ${hash}, ${refusal.status}, ${JSON.stringify(refusal.toProblem())}::json)
        on conflict do nothing returning 1 as ok`,
  )
  if (claimed) throw refusal
  const stored = await one<StoredAnswer>(
    db,
    sql`select request_hash as "requestHash", status_code as "statusCode", response_body as "responseBody"
        from idempotency_keys where user_id = ${caller.userId} and key = ${key}`,
  )
  if (!stored) throw refusal
  return replayStored<T>(stored, hash)
}
