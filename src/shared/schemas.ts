import Type, { type Static, type TSchema } from 'typebox'
import { ERROR_STATUS, type ProblemExtras } from './errors'
import { FORBIDDEN_TEXT_CHARS } from './text'
import { isCalendarDay } from './time'

/** A UUID (RFC 4122 form, 36 characters). */
export const Id = Type.String({ format: 'uuid', maxLength: 36, description: 'UUID' })
export const IdParams = Type.Object({ id: Id })

/** Largest value of a PostgreSQL integer column (and of counts the API returns). */
export const INT32_MAX = 2_147_483_647

/** An integer that fits PostgreSQL's integer (int32), within the given bounds. */
export function Int32(
  minimum: number,
  maximum: number,
  options: { description?: string; default?: number } = {},
) {
  return Type.Integer({ format: 'int32', minimum, maximum, ...options })
}

/** A count (rows, units, members): 0 up to int32. */
export function Count(description?: string) {
  return Int32(0, INT32_MAX, description ? { description } : {})
}

/** A character the text rule allows (shared/text.ts: no control, DEL, C1 or bidi override characters). */
const PLAIN = `[^${FORBIDDEN_TEXT_CHARS}]`
export const PLAIN_TEXT_PATTERN = `^${PLAIN}*$`
/**
 * Plain text with at least one character that is not white space. Written without lookahead or overlapping
 * repeats, so it runs in linear time even on a megabyte (Ajv with allErrors tests it past maxLength too).
 */
export const NON_BLANK_TEXT_PATTERN = `^[^\\S\\u000B\\u000C]*[^\\s${FORBIDDEN_TEXT_CHARS}]${PLAIN}*$`

/**
 * Free text of at most `maxLength` characters (the limit inputs are checked against and outputs respect),
 * plain (PLAIN_TEXT_PATTERN) unless another pattern is given.
 */
export function Text(
  maxLength: number,
  options: { minLength?: number; pattern?: string; description?: string } = {},
) {
  return Type.String({ maxLength, pattern: PLAIN_TEXT_PATTERN, ...options })
}

/** Output: points or hours as a decimal string with exactly two fraction digits. */
export const Decimal = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', maxLength: 20, examples: ['12.50'] })

/** Input: a decimal string or a JSON number, at most two fraction digits (checked by parseCents). */
export const DecimalInput = Type.Union(
  [
    Type.String({ pattern: '^\\s*-?\\d{1,13}(\\.\\d{1,2})?\\s*$', maxLength: 20 }),
    Type.Number({ minimum: -1e13, maximum: 1e13 }),
  ],
  { description: 'Decimal with at most two fraction digits, as a string ("12.50") or a number (12.5)' },
)

/**
 * The dates the API takes: real calendar days from MIN_DATE to MAX_DATE, the years 2000-2100 of rubrics,
 * reports and activities. Outside them PostgreSQL or JS Date failed (year 0, 10000-01-01 as the day after
 * 9999-12-31, local mean time before 1901): each was a 500. Checked by Ajv's `date` and `date-time` formats
 * (app.ts makeAjv), so every date and date-time input of every operation follows the one rule.
 */
export const MIN_DATE = '2000-01-01'
export const MAX_DATE = '2100-12-31'
const DATE_INPUT = /^(\d{4})-(\d{2})-(\d{2})$/
// RFC 3339 (as ajv-formats reads it: "t", "z" and a space allowed), no leap second (JS Date cannot read it).
const DATE_TIME_INPUT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$/

function supportedDay(m: RegExpExecArray | null): boolean {
  if (!m) return false
  const date = `${m[1]}-${m[2]}-${m[3]}`
  return date >= MIN_DATE && date <= MAX_DATE && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))
}
/** YYYY-MM-DD, a real calendar day from MIN_DATE to MAX_DATE. */
export const isSupportedDate = (s: string): boolean => s.length === 10 && supportedDay(DATE_INPUT.exec(s))
/** An RFC 3339 date-time whose day (as written, in its own offset) is a supported date. */
export const isSupportedDateTime = (s: string): boolean =>
  s.length <= 40 && supportedDay(DATE_TIME_INPUT.exec(s)) && Number.isFinite(Date.parse(s))
/** The message of a refused date or date-time input (errors plugin), which says what is taken. */
export const DATE_FORMAT_MESSAGES: Record<string, string> = {
  date: `must be a real calendar date YYYY-MM-DD from ${MIN_DATE} to ${MAX_DATE}`,
  'date-time': `must be an RFC 3339 date-time (2026-05-01T08:30:00+08:00) on a real calendar day from ${MIN_DATE} to ${MAX_DATE}`,
}

export const DateString = Type.String({
  format: 'date',
  maxLength: 10,
  description: `YYYY-MM-DD in the service time zone; an input is a real calendar day from ${MIN_DATE} to ${MAX_DATE}`,
})
export const DateTime = Type.String({
  format: 'date-time',
  maxLength: 40,
  description: `RFC 3339; an input falls on a real calendar day from ${MIN_DATE} to ${MAX_DATE}`,
})

/** Request bodies reject unknown fields (400 validation_failed naming the field): nothing is silently ignored. */
export function Body<T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) })
}

/** Largest page a list answers (`limit` 1-200). */
export const MAX_PAGE = 200
export const Cursor = Type.String({
  maxLength: 500,
  pattern: '^[A-Za-z0-9_-]*$',
  description: 'Opaque: the nextCursor of the previous page',
})

export const PageQuery = {
  limit: Type.Optional(Int32(1, MAX_PAGE, { default: 50 })),
  cursor: Type.Optional(Cursor),
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item, { maxItems: MAX_PAGE }),
    nextCursor: Type.Union([Cursor, Type.Null()]),
  })
}

/** At most this many entries in a problem's `errors` (problem() keeps the first ones). */
export const MAX_PROBLEM_ERRORS = 100
/** Longest `detail` of a problem, and longest string in one of its `errors` (problem() shortens longer ones). */
export const MAX_PROBLEM_TEXT = 2000

/** Most ids a problem lists (claims short of the quorum, open objections): a round holds at most 10,000 claims. */
export const MAX_PROBLEM_IDS = 10_000
const ProblemIds = (description: string) => Type.Array(Id, { maxItems: MAX_PROBLEM_IDS, description })
const ProblemCount = (description: string) => Int32(0, INT32_MAX, { description })
const ProblemDecimal = (description: string) => ({ ...Decimal, description })

/**
 * The members some codes add to a problem (errors.ts, ProblemExtras, says the same in TypeScript): declared so a
 * typed client reads them, each optional and present only with the codes its description names.
 */
export const ProblemExtraMembers = {
  errors: Type.Optional(
    Type.Array(
      Type.Object(
        {
          field: Type.Optional(Text(MAX_PROBLEM_TEXT, { description: 'The field (400 validation_failed)' })),
          line: Type.Optional(
            Int32(1, INT32_MAX, { description: 'The CSV line (imports; the header is 1)' }),
          ),
          message: Text(MAX_PROBLEM_TEXT),
        },
        { additionalProperties: true },
      ),
      {
        maxItems: MAX_PROBLEM_ERRORS,
        description: 'validation_failed: every field (or CSV line of an import) at fault',
      },
    ),
  ),
  claimIds: Type.Optional(ProblemIds('quorum_not_met (closeScoring): the claims short of the quorum')),
  claims: Type.Optional(
    Type.Array(
      Type.Object({
        claimId: Id,
        scores: ProblemCount('Scores given by panelists who may score the claim'),
        required: ProblemCount('Scores the quorum asks for'),
      }),
      {
        maxItems: MAX_PROBLEM_IDS,
        description:
          'quorum_not_met (closeScoring): each claim short of the quorum, its scores and the quorum',
      },
    ),
  ),
  maxHours: Type.Optional(
    ProblemDecimal(
      "out_of_range (recordParticipation, completeServiceRequest): the most hours allowed (the activity's length, 24.00 for a request)",
    ),
  ),
  min: Type.Optional(ProblemDecimal('out_of_range (submitScore): the lowest points the claim may be given')),
  max: Type.Optional(ProblemDecimal('out_of_range (submitScore): the highest points the claim may be given')),
  activeRubricId: Type.Optional({
    ...Id,
    description: 'conflict (activateRubric): the rubric already active for the unit and year',
  }),
  claimedEvidenceIds: Type.Optional(
    Type.Array(Id, {
      maxItems: 100,
      description:
        'conflict (createClaim): the activities and service requests another live claim of the member holds under the same item',
    }),
  ),
  objectionIds: Type.Optional(ProblemIds('invalid_state (finalizeRound): the objections still open')),
  limit: Type.Optional(
    ProblemCount(
      'limit_reached (createRedemption): how many of the reward a member may take per calendar year',
    ),
  ),
  taken: Type.Optional(ProblemCount('limit_reached (createRedemption): how many the member took this year')),
  available: Type.Optional(ProblemCount('out_of_stock: the units available')),
  lifetimeEarned: Type.Optional(
    ProblemDecimal("below_threshold (createRedemption): the member's lifetime earned points"),
  ),
  threshold: Type.Optional(
    ProblemDecimal('below_threshold (createRedemption): the lifetime earned points a redemption needs'),
  ),
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri', maxLength: 200 }),
    title: Text(100),
    status: Int32(400, 599),
    detail: Text(MAX_PROBLEM_TEXT),
    code: Type.String({ enum: Object.keys(ERROR_STATUS), description: 'Stable error code' }),
    ...ProblemExtraMembers,
  },
  {
    additionalProperties: true,
    description:
      'RFC 9457 problem details. Besides type, title, status, detail and code, some codes add the members ' +
      'declared here (each says which); a client ignores members it does not know.',
  },
)
// The schema's members and errors.ts's ProblemExtras are the same (typecheck fails otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type DeclaredExtras = Static<ReturnType<typeof Type.Object<typeof ProblemExtraMembers>>>
const extrasAgree: [Same<DeclaredExtras, ProblemExtras>, Same<keyof DeclaredExtras, keyof ProblemExtras>] = [
  true,
  true,
]
void extrasAgree
export type ProblemSchema = Static<typeof ProblemSchema>

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden or recused',
  404: 'not_found (also anything outside your scope)',
  409: 'conflict, invalid_state, idempotency_key_reused, quorum_not_met or already_revoked',
  413: 'body too large',
  415: 'unsupported_media_type (send application/json)',
  422: 'a business rule said no (see code)',
  429: 'rate_limited: over the per-caller budget (or a tighter one of this operation); see Retry-After',
  500: 'internal_error (quote the x-request-id)',
  503: 'unavailable: the database is unreachable or the service overloaded; retry after Retry-After',
}

/**
 * Response schemas for the given problem statuses, served as application/problem+json. Every operation
 * may answer 400, 401 (where a token is needed; harmless elsewhere), 429 (the per-caller rate limit),
 * 500 and 503.
 */
export function problems(...statuses: number[]) {
  const out: Record<number, unknown> = {}
  for (const s of new Set([400, 401, 429, 500, 503, ...statuses])) {
    out[s] = {
      description: PROBLEM_DESCRIPTIONS[s] ?? 'error',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    }
  }
  return out
}

/** Exactly the given problem statuses (routes outside /api/v1, where 400 and 401 cannot happen). */
export function problemsOnly(...statuses: number[]): Record<number, unknown> {
  const all = problems(...statuses)
  return Object.fromEntries(statuses.map((s) => [s, all[s]]))
}

export const NoContent = Type.Null({ description: 'No content' })

/** Header of the operations that move points, hours or stock (the list: docs/api.md, "Conventions"). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[\\x20-\\x7E]+$',
    description:
      'Client-chosen key (1-200 printable ASCII characters). The same key and body replays the first answer.',
  }),
})
