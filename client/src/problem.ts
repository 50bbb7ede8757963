import type { components } from './schema.js'

/** The problem body of the contract (RFC 9457 with a stable `code`), as generated from openapi/openapi.json. */
export type Problem = components['schemas']['Problem']

/** Every stable error code the document lists. */
export type ProblemCode = Problem['code']

/**
 * The problem body for some codes, with the members the document declares for them: `code` narrowed to those
 * codes, and where the schema is a union by code, only the members of those codes.
 */
export type ProblemOf<C extends ProblemCode> = Problem extends infer P
  ? P extends { code: infer K }
    ? C extends K
      ? P & { code: C }
      : never
    : never
  : never

/** An `application/problem+json` answer, thrown by the client's methods. */
export class ProblemError<C extends ProblemCode = ProblemCode> extends Error {
  override readonly name = 'ProblemError'
  /** The HTTP status (also `problem.status`). */
  readonly status: number
  /** The stable code: branch on it (or use `isProblem`), never on `detail`. */
  readonly code: C
  /** The human-readable explanation. */
  readonly detail: string
  /** The whole body: type, title, status, detail, code and the members this code carries (`errors`, ...). */
  readonly problem: ProblemOf<C>
  /** The answer, e.g. for `retry-after` or `x-request-id`. */
  readonly response: Response

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`)
    this.status = problem.status
    this.code = problem.code as C
    this.detail = problem.detail
    this.problem = problem as ProblemOf<C>
    this.response = response
  }
}

/** A non-2xx answer that is not a problem (a proxy's 502 page, say). */
export class ResponseError extends Error {
  override readonly name = 'ResponseError'
  readonly status: number
  constructor(
    readonly response: Response,
    /** The body as openapi-fetch read it: parsed JSON, else text. */
    readonly body: unknown,
  ) {
    super(`${response.status} ${response.statusText || 'error'} from ${response.url || 'the API'}`)
    this.status = response.status
  }
}

/**
 * Whether `error` is a problem answer with one of `codes` (any code when none is given); narrows `code` and
 * `problem` to those codes.
 *
 * ```ts
 * if (isProblem(err, 'limit_reached')) console.log(err.problem.detail)
 * ```
 */
export function isProblem<C extends ProblemCode = ProblemCode>(
  error: unknown,
  ...codes: C[]
): error is ProblemError<C> {
  return error instanceof ProblemError && (codes.length === 0 || (codes as string[]).includes(error.code))
}

function isProblemBody(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false
  const { code, status } = body as Record<string, unknown>
  return typeof code === 'string' && typeof status === 'number'
}

/** The error a non-2xx answer becomes; `body` is what openapi-fetch read from it. */
export function errorFrom(response: Response, body: unknown): Error {
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('application/problem+json') && isProblemBody(body))
    return new ProblemError(body, response)
  return new ResponseError(response, body)
}
