import Type, { type Static } from 'typebox'
import {
  Body,
  Cursor,
  DateTime,
  Decimal,
  DecimalInput,
  Id,
  Int32,
  MAX_PAGE,
  Text,
} from '../../shared/schemas'

const Kind = Type.Union([Type.Literal('award'), Type.Literal('deduction')], {
  description: 'award adds points; deduction (扣分) takes them away',
})
const Unit = Type.Union([Type.Literal('hour'), Type.Literal('occurrence'), Type.Literal('fixed')], {
  description: 'what quantity counts: service hours, occurrences, or a fixed amount (quantity 1)',
})
const Code = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,32}$',
  maxLength: 32,
  description: 'Item code, unique in the rubric',
})
const ItemName = Text(200)
/** A rubric has 1-200 items (the default template has 20). */
const MAX_ITEMS = 200
const Year = Int32(2000, 2100)

export const RubricItemInput = Type.Object(
  {
    code: Code,
    name: Text(200, { minLength: 1 }),
    nameEn: Type.Optional(Type.Union([ItemName, Type.Null()])),
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
  code: Code,
  name: ItemName,
  nameEn: Type.Union([ItemName, Type.Null()]),
  kind: Kind,
  unit: Unit,
  pointsPerUnit: Decimal,
  maxPerClaim: Decimal,
  capPerYear: Decimal,
})

export const RubricTemplate = Type.Object({
  name: Text(200),
  nameEn: Text(200),
  note: Text(2000),
  items: Type.Array(RubricItem, { maxItems: MAX_ITEMS }),
})

const Items = Type.Array(RubricItemInput, { minItems: 1, maxItems: MAX_ITEMS })

export const CreateRubricBody = Body(
  {
    orgUnitId: Id,
    year: Year,
    name: Text(200, { minLength: 1 }),
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
  year: Year,
  name: Text(200),
  status: Type.Union([Type.Literal('draft'), Type.Literal('active')]),
  copiedFromRubricId: Type.Union([Id, Type.Null()]),
  items: Type.Array(RubricItem, { maxItems: MAX_ITEMS }),
  createdAt: DateTime,
  updatedAt: DateTime,
  activatedAt: Type.Union([DateTime, Type.Null()]),
})

export const ListRubricsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  year: Type.Optional(Year),
  status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('active')])),
  limit: Type.Optional(Int32(1, MAX_PAGE, { default: 50 })),
  cursor: Type.Optional(Cursor),
})
export type ListRubricsQuery = Static<typeof ListRubricsQuery>
