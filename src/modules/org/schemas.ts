import Type, { type Static } from 'typebox'
import { ORG_KINDS, type OrgKind } from '../../db/schema/org'
import {
  Body,
  DateTime,
  Decimal,
  DecimalInput,
  Id,
  Int32,
  NON_BLANK_TEXT_PATTERN,
  Page,
  PageQuery,
  Text,
} from '../../shared/schemas'
import { CREATABLE_KINDS } from './domain'
import { MAX_LEVELS } from './grades'

export const OrgKindSchema = Type.Unsafe<OrgKind>({
  type: 'string',
  enum: [...ORG_KINDS],
  description: 'From the top: root, province, city, district, street, community, branch, grid, microgrid',
})

/** Days results stay on the notice board (0-60, as the database checks). */
const PublicityDays = Int32(0, 60)
const UnitName = Text(200)
const UnitCode = Text(64)
const LevelName = Text(20, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN })
const CertificateText = Text(200, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN })
const ObjectionNotice = Text(1000, {
  minLength: 1,
  pattern: NON_BLANK_TEXT_PATTERN,
  description: '公示栏: how and until when to object, printed on the notice-board sheet',
})

const GradesInput = Type.Array(
  Type.Object({ name: LevelName, minPoints: DecimalInput }, { additionalProperties: false }),
  {
    maxItems: MAX_LEVELS,
    description:
      "等次 by the year's net points, highest first: names unique, minPoints strictly descending (else 400). " +
      '[] sets "no grades" here; null inherits again. Default: none',
  },
)
const VolunteerStarsInput = Type.Array(
  Type.Object({ name: LevelName, minHours: DecimalInput }, { additionalProperties: false }),
  {
    maxItems: MAX_LEVELS,
    description:
      '志愿者星级 by cumulative verified hours, lowest first: names unique, minHours >= 0 and strictly ' +
      'ascending (else 400); null inherits again. Default: 一星 100, 二星 300, 三星 600, 四星 1000, 五星 1500 hours',
  },
)
const CertificateInput = Type.Object(
  {
    personInCharge: Type.Optional(Type.Union([CertificateText, Type.Null()])),
    contactPhone: Type.Optional(
      Type.Union([Text(40, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN }), Type.Null()]),
    ),
    sealText: Type.Optional(Type.Union([CertificateText, Type.Null()])),
  },
  {
    additionalProperties: false,
    description:
      'Printed on service certificates (负责人, 联系电话, the seal); each inherits on its own, null clears it',
  },
)

const GradeOut = Type.Object({ name: LevelName, minPoints: Decimal })
const VolunteerStarOut = Type.Object({ name: LevelName, minHours: Decimal })
const CertificateOut = Type.Object({
  personInCharge: Type.Union([CertificateText, Type.Null()]),
  contactPhone: Type.Union([Text(40), Type.Null()]),
  sealText: Type.Union([CertificateText, Type.Null()]),
})

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
    grades: Type.Optional(Type.Union([GradesInput, Type.Null()])),
    volunteerStars: Type.Optional(Type.Union([VolunteerStarsInput, Type.Null()])),
    standingsVisibleToMembers: Type.Optional(
      Type.Union([Type.Boolean(), Type.Null()], {
        description: '亮积分: members of a branch here read its standings (default true)',
      }),
    ),
    certificate: Type.Optional(CertificateInput),
    objectionNotice: Type.Optional(Type.Union([ObjectionNotice, Type.Null()])),
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
      grades: Type.Union([Type.Array(GradeOut, { maxItems: MAX_LEVELS }), Type.Null()]),
      volunteerStars: Type.Union([Type.Array(VolunteerStarOut, { maxItems: MAX_LEVELS }), Type.Null()]),
      standingsVisibleToMembers: Type.Union([Type.Boolean(), Type.Null()]),
      certificate: CertificateOut,
      objectionNotice: Type.Union([ObjectionNotice, Type.Null()]),
    },
    { description: 'What this unit itself sets (null: inherited)' },
  ),
  effectiveSettings: Type.Object(
    {
      redemptionThreshold: Decimal,
      publicityDays: PublicityDays,
      minPublicityDays: PublicityDays,
      grades: Type.Array(GradeOut, { maxItems: MAX_LEVELS }),
      volunteerStars: Type.Array(VolunteerStarOut, { maxItems: MAX_LEVELS }),
      standingsVisibleToMembers: Type.Boolean(),
      certificate: CertificateOut,
      objectionNotice: Type.Union([ObjectionNotice, Type.Null()]),
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
