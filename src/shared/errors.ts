import { replaceForbidden } from './text'

/** The stable error codes of the contract (docs/api.md, "Conventions"), with the HTTP status each one always has. */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  recused: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  invalid_state: 409,
  idempotency_key_reused: 409,
  quorum_not_met: 409,
  already_revoked: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  insufficient_points: 422,
  out_of_stock: 422,
  below_threshold: 422,
  limit_reached: 422,
  out_of_range: 422,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const
export type ErrorCode = keyof typeof ERROR_STATUS

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Request is not valid',
  unauthorized: 'Not authenticated',
  forbidden: 'Not allowed',
  recused: 'Recused from this action',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  invalid_state: 'Not allowed in the current state',
  idempotency_key_reused: 'Idempotency key reused with another request',
  quorum_not_met: 'Quorum not met',
  already_revoked: 'Already revoked',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  insufficient_points: 'Insufficient points',
  out_of_stock: 'Out of stock',
  below_threshold: 'Below the redemption threshold',
  limit_reached: 'Limit reached',
  out_of_range: 'Out of range',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
  unavailable: 'Service unavailable',
}

export interface FieldError {
  field: string
  message: string
  [k: string]: unknown
}

/** One entry of a problem's `errors`: the field (400 validation_failed) or the CSV line (importMembers) at fault. */
export interface ProblemError {
  field?: string
  line?: number
  message: string
}

/**
 * The members a problem carries besides RFC 9457's, with the codes that carry them. The OpenAPI `Problem` schema
 * (shared/schemas.ts, ProblemExtraMembers) declares the same (typecheck fails when the two differ), so typed
 * clients read them: a code that starts carrying a member adds it to both.
 */
export interface ProblemExtras {
  /** validation_failed: every field (or CSV line) at fault. */
  errors?: ProblemError[]
  /** quorum_not_met (closeScoring): the claims short of the quorum. */
  claimIds?: string[]
  /** quorum_not_met (closeScoring): each claim short of the quorum, with its scores and the number required. */
  claims?: { claimId: string; scores: number; required: number }[]
  /** out_of_range (recordParticipation, completing a service request): the most hours allowed. */
  maxHours?: string
  /** out_of_range (submitScore): the lowest points the claim may be given. */
  min?: string
  /** out_of_range (submitScore): the highest points the claim may be given. */
  max?: string
  /** conflict (activateRubric): the rubric already active for the unit and year. */
  activeRubricId?: string
  /** conflict (createClaim): the evidence another live claim of the member holds under the same item. */
  claimedEvidenceIds?: string[]
  /** invalid_state (finalizeRound): the objections still open. */
  objectionIds?: string[]
  /** limit_reached (createRedemption): how many of the reward a member may take per calendar year. */
  limit?: number
  /** limit_reached (createRedemption): how many the member already took this year. */
  taken?: number
  /** out_of_stock: the units available. */
  available?: number
  /** below_threshold (createRedemption): the member's lifetime earned points. */
  lifetimeEarned?: string
  /** below_threshold (createRedemption): the points a member must have earned to redeem. */
  threshold?: string
}

export interface Problem extends ProblemExtras {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  [k: string]: unknown
}

/** A rule said no. Thrown by services; the error plugin turns it into application/problem+json. */
export class DomainError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly extra: ProblemExtras & Record<string, unknown> = {},
  ) {
    super(detail)
    this.name = 'DomainError'
    this.status = ERROR_STATUS[code]
  }

  toProblem(): Problem {
    return problem(this.code, this.message, this.extra)
  }
}

// The limits the OpenAPI document promises (shared/schemas.ts): a detail or an error message may echo what
// a client sent (a field name, a CSV header), and Ajv with allErrors may report thousands of fields.
const MAX_TEXT = 2000
const MAX_ERRORS = 100
// What a client sent may also hold characters the text rule forbids (shared/text.ts), which the document's text
// pattern leaves out (a CSV header with U+0012 was echoed as is): they become U+FFFD.
const clip = (v: unknown) => {
  if (typeof v !== 'string') return v
  const plain = replaceForbidden(v)
  return plain.length > MAX_TEXT ? `${plain.slice(0, MAX_TEXT - 1)}…` : plain
}

export function problem(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  const errors = Array.isArray(extra.errors)
    ? {
        errors: (extra.errors as unknown[])
          .slice(0, MAX_ERRORS)
          .map((e) =>
            e && typeof e === 'object'
              ? Object.fromEntries(Object.entries(e).map(([k, v]) => [k, clip(v)]))
              : e,
          ),
      }
    : {}
  return {
    type: `https://volunteer-points.example/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[code],
    status: ERROR_STATUS[code],
    detail: clip(detail) as string,
    code,
    ...extra,
    ...errors,
  } as Problem
}

export const notFound = (what = 'resource') => new DomainError('not_found', `${what} not found`)
export const forbidden = (detail = 'your roles do not allow this action') =>
  new DomainError('forbidden', detail)
export const invalidState = (detail: string) => new DomainError('invalid_state', detail)
export const validation = (field: string, message: string) =>
  new DomainError('validation_failed', `${field}: ${message}`, { errors: [{ field, message }] })

/** Rebuilds the error a stored problem body stands for (idempotent replays of a refused request). */
export function domainErrorFromProblem(body: Problem): DomainError {
  const { type: _t, title: _ti, status: _s, detail, code, ...extra } = body
  return new DomainError(code, detail, extra)
}
