import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { FastifyReply } from 'fastify'
import { type Db, one, transaction } from '../db/client'
import type { Caller } from '../shared/authz'
import { DomainError, domainErrorFromProblem, type Problem } from '../shared/errors'

/**
 * Idempotent commands (the operations that take an Idempotency-Key, listed in docs/api.md): one (user, key)
 * holds the request's hash and the one answer it got, a refusal (DomainError) included; the same key and
 * request replays that answer, the same key with another request is 409 idempotency_key_reused. Two strategies
 * share the request hash, the stored answer's replay and the storage of a refusal:
 * - the transaction wrapper, `idempotent`: claims the key, then runs the work in the same transaction;
 * - the precomputed statement (createRedemption): the command reads the key's answer with its other reads
 *   (a replay: `replayStored`), then one statement of its own claims the key and writes the work and its answer
 *   at once, or refuses having written nothing (then `storeRefusal`).
 * Routes answer every command's result through `sendIdempotent`, which marks a replay Idempotent-Replayed: true.
 */

export interface IdempotentResult<T> {
  status: number
  body: T
  replayed: boolean
}

/** What an Idempotency-Key holds: the request it was used for and the answer given. */
export interface StoredAnswer {
  requestHash: string
  statusCode: number
  responseBody: unknown
}

// ------------------------------------------------------------------------------------------ the request hash

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

// ------------------------------------------------------------------------------------------ the replay

/** Refusals rebuilt from a stored answer (replayStored): sendIdempotent marks their answer as a replay. */
const replayedRefusals = new WeakSet<Error>()

function keyReused(): DomainError {
  return new DomainError(
    'idempotency_key_reused',
    'this Idempotency-Key was already used with a different request; use a new key for a new request',
  )
}

/**
 * The answer a key holds as this request's answer, a replay: a stored refusal is thrown again (and answered with
 * Idempotent-Replayed: true by sendIdempotent); the key used for another request is 409 idempotency_key_reused.
 */
export function replayStored<T>(stored: StoredAnswer, hash: string): IdempotentResult<T> {
  if (stored.requestHash !== hash) throw keyReused()
  if (stored.statusCode >= 400) {
    const refusal = domainErrorFromProblem(stored.responseBody as Problem)
    replayedRefusals.add(refusal)
    throw refusal
  }
  return { status: stored.statusCode, body: stored.responseBody as T, replayed: true }
}

// ------------------------------------------------------------------------------------------ the storage

interface KeyClaim {
  caller: Caller
  key: string
  operation: string
  hash: string
}

/** A refusal as the answer a key keeps: its status and problem body. */
function refusalAnswer(refusal: DomainError): { status: number; body: unknown } {
  return { status: refusal.status, body: refusal.toProblem() }
}

/**
 * Writes an answer under the key: a new key, or one this transaction claimed (the wrapper's placeholder, status
 * 0). False when the key holds an answer already (a concurrent request with the key got there first; a
 * placeholder of another transaction is waited for): then that answer is this request's (readStored).
 */
async function storeAnswer(db: Db, c: KeyClaim, answer: { status: number; body: unknown }): Promise<boolean> {
  const stored = await one(
    db,
    sql`insert into idempotency_keys (user_id, key, operation, request_hash, status_code, response_body)
        values (${c.caller.userId}, ${c.key}, ${c.operation}, ${c.hash}, ${answer.status},
                ${JSON.stringify(answer.body)}::json)
        on conflict (user_id, key) do update
          set status_code = excluded.status_code, response_body = excluded.response_body
          where idempotency_keys.status_code = 0
        returning 1 as ok`,
  )
  return stored !== undefined
}

function readStored(db: Db, caller: Caller, key: string): Promise<StoredAnswer | undefined> {
  return one<StoredAnswer>(
    db,
    sql`select request_hash as "requestHash", status_code as "statusCode", response_body as "responseBody"
        from idempotency_keys where user_id = ${caller.userId} and key = ${key}`,
  )
}

// ------------------------------------------------------------------------------------------ the strategies

/**
 * The transaction wrapper: runs `work` at most once per (user, key). The key row is inserted first, in the same
 * transaction as the work, so:
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
  const claim: KeyClaim = { caller, key, operation, hash: requestHash(operation, request) }
  const outcome = await transaction(db, async (tx) => {
    const claimed = await one(
      tx,
      sql`insert into idempotency_keys (user_id, key, operation, request_hash, status_code, response_body)
          values (${caller.userId}, ${key}, ${operation}, ${claim.hash}, 0, 'null')
          on conflict do nothing returning 1 as ok`,
    )
    if (!claimed) return { stored: await readStored(tx, caller, key) }
    let answer: { status: number; body: unknown }
    let refusal: DomainError | undefined
    try {
      answer = await tx.transaction((inner) => work(inner as unknown as Db))
    } catch (err) {
      if (!(err instanceof DomainError)) throw err
      refusal = err
      answer = refusalAnswer(err)
    }
    await storeAnswer(tx, claim, answer)
    return { answer, refusal }
  })
  if ('stored' in outcome) {
    if (!outcome.stored) throw keyReused()
    return replayStored<T>(outcome.stored, claim.hash)
  }
  if (outcome.refusal) throw outcome.refusal
  return { status: outcome.answer.status, body: outcome.answer.body as T, replayed: false }
}

/**
 * The precomputed statement's refusal: stores it under the key (one statement, nothing else was written) and
 * throws it, so a retry with the key gets the same refusal. If the key meanwhile holds an answer (a concurrent
 * request with the same key got there first), that answer is this request's answer too.
 */
export async function storeRefusal<T>(
  db: Db,
  caller: Caller,
  key: string,
  operation: string,
  hash: string,
  refusal: DomainError,
): Promise<IdempotentResult<T>> {
  if (await storeAnswer(db, { caller, key, operation, hash }, refusalAnswer(refusal))) throw refusal
  const stored = await readStored(db, caller, key)
  if (!stored) throw refusal
  return replayStored<T>(stored, hash)
}

// ------------------------------------------------------------------------------------------ the reply

/**
 * Answers an idempotent command's result: its status and body (or `send` for another rendering, e.g. a PDF),
 * with Idempotent-Replayed: true when it is a replay, a replayed refusal included (thrown on to the error
 * handler with the header set).
 */
export async function sendIdempotent<T>(
  reply: FastifyReply,
  pending: Promise<IdempotentResult<T>>,
  send: (body: T) => FastifyReply | Promise<FastifyReply> = (body) => reply.send(body),
): Promise<FastifyReply> {
  let result: IdempotentResult<T>
  try {
    result = await pending
  } catch (err) {
    if (err instanceof Error && replayedRefusals.has(err)) reply.header('idempotent-replayed', 'true')
    throw err
  }
  if (result.replayed) reply.header('idempotent-replayed', 'true')
  reply.code(result.status)
  return send(result.body)
}
