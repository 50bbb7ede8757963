import Type, { type Static } from 'typebox'
import { ORG_KINDS, type OrgKind } from '../../db/schema/org'
import { Body, DateTime, Decimal, DecimalInput, Id, Int32, Page, PageQuery, Text } from '../../shared/schemas'
import { CREATABLE_KINDS } from './domain'

export const OrgKindSchema = Type.Unsafe<OrgKind>({
  type: 'string',
  enum: [...ORG_KINDS],
  description: 'From the top: root, province, city, district, street, community, branch, grid, microgrid',
})

/** Days results stay on the notice board (0-60, as the database checks). */
const PublicityDays = Int32(0, 60)
const UnitName = Text(200)
const UnitCode = Text(64)

const SettingsInput = Type.Object(
  {
    redemptionThreshold: Type.Optional(Type.Union([DecimalInput, Type.Null()])),
    publicityDays: Type.Optional(Type.Union([PublicityDays, Type.Null()])),
    minPublicityDays: Type.Optional(
      Type.Union([PublicityDays, Type.Null()], {
        description:
          '公示 floor for every round at or below this unit (default 1). Only an admin or staff whose grant sits ' +
          'above this unit may set it (403 otherwise), so a branch cannot lower its own floor',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Settings this unit sets; null clears one, so it inherits again from the nearest ancestor',
  },
)

export const CreateOrgUnitBody = Body({
  parentId: Id,
  kind: Type.Unsafe<Exclude<OrgKind, 'root'>>({
    type: 'string',
    enum: [...CREATABLE_KINDS],
    description: 'Must sit below the parent kind (levels may be skipped); the one root exists already',
  }),
  name: Text(200, { minLength: 1 }),
  code: Type.Optional(Text(64, { minLength: 1 })),
  settings: Type.Optional(SettingsInput),
})
export type CreateOrgUnitBody = Static<typeof CreateOrgUnitBody>

export const UpdateOrgUnitBody = Body({
  name: Type.Optional(Text(200, { minLength: 1 })),
  code: Type.Optional(Type.Union([Text(64, { minLength: 1 }), Type.Null()])),
  settings: Type.Optional(SettingsInput),
})
export type UpdateOrgUnitBody = Static<typeof UpdateOrgUnitBody>

export const OrgUnit = Type.Object({
  id: Id,
  parentId: Type.Union([Id, Type.Null()]),
  kind: OrgKindSchema,
  name: UnitName,
  code: Type.Union([UnitCode, Type.Null()]),
  depth: Int32(0, 8, { description: '0 for the root; each of the 8 levels below adds one at most' }),
  settings: Type.Object(
    {
      redemptionThreshold: Type.Union([Decimal, Type.Null()]),
      publicityDays: Type.Union([PublicityDays, Type.Null()]),
      minPublicityDays: Type.Union([PublicityDays, Type.Null()]),
    },
    { description: 'What this unit itself sets (null: inherited)' },
  ),
  effectiveSettings: Type.Object(
    {
      redemptionThreshold: Decimal,
      publicityDays: PublicityDays,
      minPublicityDays: PublicityDays,
    },
    { description: 'What applies here: the nearest unit up the tree that sets each value, else the default' },
  ),
  createdAt: DateTime,
  updatedAt: DateTime,
})
export type OrgUnit = Static<typeof OrgUnit>

export const ListOrgUnitsQuery = Type.Object({
  parentId: Type.Optional(Id),
  kind: Type.Optional(OrgKindSchema),
  q: Type.Optional(Text(100, { minLength: 1, description: 'Part of the name' })),
  ...PageQuery,
})
export type ListOrgUnitsQuery = Static<typeof ListOrgUnitsQuery>

export const OrgUnitPage = Page(OrgUnit)
