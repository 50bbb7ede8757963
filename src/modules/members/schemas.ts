import Type, { type Static } from 'typebox'
import { Body, Count, DateTime, Id, Page, PageQuery, Text } from '../../shared/schemas'
import { IdentityDocument, IdentityDocumentInput } from './identity'

const Name = Text(100, { minLength: 1 })
const Phone = Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9+()\\- ]+$' })
const WorkUnit = Text(200, { minLength: 1, description: '工作单位 (in-service members)' })
export const MemberStatus = Type.Unsafe<'active' | 'inactive'>({
  type: 'string',
  enum: ['active', 'inactive'],
})

export const CreateMemberBody = Body({
  orgUnitId: Id,
  name: Name,
  phone: Type.Optional(Phone),
  isPartyMember: Type.Boolean(),
  workUnit: Type.Optional(WorkUnit),
  identityDocument: Type.Optional(IdentityDocumentInput),
})
export type CreateMemberBody = Static<typeof CreateMemberBody>

export const UpdateMemberBody = Body(
  {
    name: Type.Optional(Name),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    isPartyMember: Type.Optional(Type.Boolean()),
    workUnit: Type.Optional(Type.Union([WorkUnit, Type.Null()])),
    orgUnitId: Type.Optional(Id),
    status: Type.Optional(MemberStatus),
    identityDocument: Type.Optional(
      Type.Union([IdentityDocumentInput, Type.Null()], {
        description: 'The identity document (stored encrypted, answered masked); null removes it',
      }),
    ),
  },
  'A member editing their own record may change only phone, workUnit and identityDocument; the rest is for a ' +
    'secretary over them',
)
export type UpdateMemberBody = Static<typeof UpdateMemberBody>

export const RegistrationStatus = Type.Unsafe<'pending' | 'accepted' | 'declined' | 'ended'>({
  type: 'string',
  enum: ['pending', 'accepted', 'declined', 'ended'],
  description:
    'pending (asked for, waiting for the community), accepted (the community sees the member and may take them on), ' +
    'declined (by the community), ended (by the member, the home side or the community; the history stays)',
})
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const Registration = Type.Object(
  {
    id: Id,
    memberId: Id,
    memberName: Name,
    homeUnitId: Id,
    homeUnitName: Type.String({ maxLength: 200 }),
    orgUnitId: Id,
    status: RegistrationStatus,
    createdAt: DateTime,
    decidedAt: Nullable(DateTime),
    declineReason: Nullable(Type.String({ maxLength: 500 })),
    endedAt: Nullable(DateTime),
    endReason: Nullable(Type.String({ maxLength: 500 })),
  },
  {
    description:
      '双报到: a member asks to serve a residential community. Before acceptance the community learns only the ' +
      "member's name and home unit name; only an accepted registration puts the member in its scope.",
  },
)
export type Registration = Static<typeof Registration>
export const RegistrationPage = Page(Registration)

export const ListRegistrationsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  memberId: Type.Optional(Id),
  status: Type.Optional(RegistrationStatus),
  ...PageQuery,
})
export type ListRegistrationsQuery = Static<typeof ListRegistrationsQuery>

const Reason = Text(500, { minLength: 1 })
export const DeclineRegistrationBody = Body(
  { reason: Type.Optional(Reason) },
  'Why, for the member (optional)',
)
export const EndRegistrationBody = Body({ reason: Reason }, 'Why the registration ends (kept in the history)')

export const Member = Type.Object({
  id: Id,
  orgUnitId: Id,
  name: Name,
  phone: Type.Union([Phone, Type.Null()]),
  isPartyMember: Type.Boolean(),
  workUnit: Type.Union([WorkUnit, Type.Null()]),
  status: MemberStatus,
  identityDocument: Type.Union([IdentityDocument, Type.Null()]),
  registrations: Type.Array(
    Type.Object({ id: Id, orgUnitId: Id, status: RegistrationStatus, createdAt: DateTime }),
    {
      maxItems: 1000,
      description:
        '双报到: live registrations (pending or accepted) with residential communities; listRegistrations shows ' +
        'their history',
    },
  ),
  createdAt: DateTime,
  updatedAt: DateTime,
})
export type Member = Static<typeof Member>
export const MemberPage = Page(Member)

export const ListMembersQuery = Type.Object({
  orgUnitId: Type.Optional({
    ...Id,
    description: 'Members whose home unit or 双报到 community lies in this subtree',
  }),
  q: Type.Optional(Text(100, { minLength: 1, description: 'Part of the name' })),
  status: Type.Optional(MemberStatus),
  identityNumber: Type.Optional(
    Type.String({
      minLength: 5,
      maxLength: 40,
      pattern: '^[0-9A-Za-z ]+$',
      description:
        'The whole identity document number (any type; spaces and case ignored): matched by its keyed hash, ' +
        'never compared or stored in clear',
    }),
  ),
  ...PageQuery,
})
export type ListMembersQuery = Static<typeof ListMembersQuery>

export const ImportMembersQuery = Type.Object({ orgUnitId: Id })
export const ImportResult = Type.Object({
  created: Count('Members created (at most 10,000 rows per import)'),
})

export const RegisterMemberBody = Body({ orgUnitId: Id }, 'The residential community (kind community) served')

const TeamName = Text(200, { minLength: 1 })
const TeamDescription = Text(2000)

export const CreateTeamBody = Body({
  orgUnitId: Id,
  name: TeamName,
  description: Type.Optional(TeamDescription),
})
export type CreateTeamBody = Static<typeof CreateTeamBody>

export const Team = Type.Object({
  id: Id,
  orgUnitId: Id,
  name: Text(200),
  description: Type.Union([TeamDescription, Type.Null()]),
  memberCount: Count(),
  createdAt: DateTime,
})
export type Team = Static<typeof Team>
export const TeamPage = Page(Team)

export const ListTeamsQuery = Type.Object({
  orgUnitId: Type.Optional({ ...Id, description: 'Teams in this subtree' }),
  ...PageQuery,
})
export type ListTeamsQuery = Static<typeof ListTeamsQuery>

export const AddTeamMemberBody = Body({ memberId: Id })
export const TeamMember = Type.Object({ teamId: Id, memberId: Id, createdAt: DateTime })
export type TeamMember = Static<typeof TeamMember>
