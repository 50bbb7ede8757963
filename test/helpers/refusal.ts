import { pgConstraint, pgErrorCode } from '../../src/db/client'
import { DomainError } from '../../src/shared/errors'

/** What refused a statement: PostgreSQL's SQLSTATE (e.g. '23514', 'P0001') or a DomainError's problem code. */
export interface Refusal {
  code: string | undefined
  message: string
  constraint?: string
}

/**
 * Awaits `work`, which must fail, and says what refused it, so a test can pin the one refusal it means:
 * `expect(await refusal(db.execute(q))).toMatchObject({ code: '23514' })`. A bare `rejects.toThrow()` would
 * also pass on a mistyped column (42703) or a lost connection. Fails the test if `work` succeeded.
 */
export async function refusal(work: Promise<unknown>): Promise<Refusal> {
  let err: unknown
  try {
    await work
  } catch (e) {
    err = e
  }
  if (err === undefined) throw new Error('expected a refusal, but the statement succeeded')
  const message = deepestMessage(err)
  const constraint = pgConstraint(err)
  const code = err instanceof DomainError ? err.code : pgErrorCode(err)
  return constraint ? { code, message, constraint } : { code, message }
}

/** drizzle wraps PostgreSQL's error ("Failed query: …"); the cause's message is the one worth matching. */
function deepestMessage(err: unknown): string {
  let e: unknown = err
  let message = String(err)
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const m = (e as { message?: unknown }).message
    if (typeof m === 'string') message = m
    e = (e as { cause?: unknown }).cause
  }
  return message
}
