import Type, { type Static, type TSchema } from 'typebox'

export const Id = Type.String({ format: 'uuid', description: 'UUID' })
export const IdParams = Type.Object({ id: Id })

/** Output: points or hours as a decimal string with exactly two fraction digits. */
export const Decimal = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', examples: ['12.50'] })

/** Input: a decimal string or a JSON number, at most two fraction digits (checked by parseCents). */
export const DecimalInput = Type.Union(
  [Type.String({ pattern: '^\\s*-?\\d{1,13}(\\.\\d{1,2})?\\s*$', maxLength: 20 }), Type.Number()],
  { description: 'Decimal with at most two fraction digits, as a string ("12.50") or a number (12.5)' },
)

export const DateString = Type.String({ format: 'date', description: 'YYYY-MM-DD in the service time zone' })
export const DateTime = Type.String({ format: 'date-time' })

/** Request bodies reject unknown fields (400 validation_failed naming the field): nothing is silently ignored. */
export function Body<T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) })
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
)
export type ProblemSchema = Static<typeof ProblemSchema>

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden or recused',
  404: 'not_found (also anything outside your scope)',
  409: 'conflict, invalid_state, idempotency_key_reused or quorum_not_met',
  413: 'body too large',
  422: 'a business rule said no (see code)',
  429: 'rate_limited',
  503: 'database unavailable',
}

/** Response schemas for the given problem statuses, served as application/problem+json. */
export function problems(...statuses: number[]) {
  const out: Record<number, unknown> = {}
  for (const s of new Set([400, 401, 500, ...statuses])) {
    out[s] = {
      description: PROBLEM_DESCRIPTIONS[s] ?? 'error',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    }
  }
  return out
}

export const NoContent = Type.Null({ description: 'No content' })

/** Header of operations marked (idem) in API.md. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[\\x20-\\x7E]+$',
    description:
      'Client-chosen key (1-200 printable ASCII characters). The same key and body replays the first answer.',
  }),
})
