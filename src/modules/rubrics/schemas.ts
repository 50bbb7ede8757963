import Type, { type Static } from 'typebox'
import { Body, DateTime, Decimal, DecimalInput, Id } from '../../shared/schemas'

const Kind = Type.Union([Type.Literal('award'), Type.Literal('deduction')], {
  description: 'award adds points; deduction (扣分) takes them away',
})
const Unit = Type.Union([Type.Literal('hour'), Type.Literal('occurrence'), Type.Literal('fixed')], {
  description: 'what quantity counts: service hours, occurrences, or a fixed amount (quantity 1)',
})
const Code = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'Item code, unique in the rubric' })

export const RubricItemInput = Type.Object(
  {
    code: Code,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    nameEn: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    kind: Kind,
    unit: Unit,
    pointsPerUnit: DecimalInput,
    maxPerClaim: DecimalInput,
    capPerYear: DecimalInput,
  },
  { additionalProperties: false },
)
export type RubricItemInput = Static<typeof RubricItemInput>

export const RubricItem = Type.Object({
  code: Type.String(),
  name: Type.String(),
  nameEn: Type.Union([Type.String(), Type.Null()]),
  kind: Kind,
  unit: Unit,
  pointsPerUnit: Decimal,
  maxPerClaim: Decimal,
  capPerYear: Decimal,
})

export const RubricTemplate = Type.Object({
  name: Type.String(),
  nameEn: Type.String(),
  note: Type.String(),
  items: Type.Array(RubricItem),
})

const Items = Type.Array(RubricItemInput, { minItems: 1, maxItems: 200 })

export const CreateRubricBody = Body(
  {
    orgUnitId: Id,
    year: Type.Integer({ minimum: 2000, maximum: 2100 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    items: Type.Optional(Items),
    fromTemplate: Type.Optional(Type.Literal('default')),
    copyFromRubricId: Type.Optional(Id),
  },
  'Exactly one of items, fromTemplate or copyFromRubricId (copies another rubric you can read)',
)
export type CreateRubricBody = Static<typeof CreateRubricBody>

export const ReplaceItemsBody = Body({ items: Items })
export type ReplaceItemsBody = Static<typeof ReplaceItemsBody>

export const Rubric = Type.Object({
  id: Id,
  orgUnitId: Id,
  year: Type.Integer(),
  name: Type.String(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('active')]),
  copiedFromRubricId: Type.Union([Id, Type.Null()]),
  items: Type.Array(RubricItem),
  createdAt: DateTime,
  updatedAt: DateTime,
  activatedAt: Type.Union([DateTime, Type.Null()]),
})

export const ListRubricsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
  status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('active')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
})
export type ListRubricsQuery = Static<typeof ListRubricsQuery>
