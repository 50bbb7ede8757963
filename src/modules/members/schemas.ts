import Type, { type Static } from 'typebox'
import { Body, DateTime, Id, Page, PageQuery } from '../../shared/schemas'

const Name = Type.String({ minLength: 1, maxLength: 100 })
const Phone = Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9+()\\- ]+$' })
const WorkUnit = Type.String({ minLength: 1, maxLength: 200, description: '工作单位 (in-service members)' })
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
  },
  'A member editing their own record may change only phone and workUnit; the rest is for a secretary over them',
)
export type UpdateMemberBody = Static<typeof UpdateMemberBody>

export const Registration = Type.Object({ id: Id, memberId: Id, orgUnitId: Id, createdAt: DateTime })
export type Registration = Static<typeof Registration>

export const Member = Type.Object({
  id: Id,
  orgUnitId: Id,
  name: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  isPartyMember: Type.Boolean(),
  workUnit: Type.Union([Type.String(), Type.Null()]),
  status: MemberStatus,
  registrations: Type.Array(Type.Object({ id: Id, orgUnitId: Id, createdAt: DateTime }), {
    description: '双报到: residential communities this member also serves',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
})
export type Member = Static<typeof Member>
export const MemberPage = Page(Member)

export const ListMembersQuery = Type.Object({
  orgUnitId: Type.Optional(
    Type.String({
      format: 'uuid',
      description: 'Members whose home unit or 双报到 community lies in this subtree',
    }),
  ),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of the name' })),
  status: Type.Optional(MemberStatus),
  ...PageQuery,
})
export type ListMembersQuery = Static<typeof ListMembersQuery>

export const ImportMembersQuery = Type.Object({ orgUnitId: Id })
export const ImportResult = Type.Object({ created: Type.Integer() })

export const RegisterMemberBody = Body({ orgUnitId: Id }, 'The residential community (kind community) served')

export const CreateTeamBody = Body({
  orgUnitId: Id,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
})
export type CreateTeamBody = Static<typeof CreateTeamBody>

export const Team = Type.Object({
  id: Id,
  orgUnitId: Id,
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  memberCount: Type.Integer(),
  createdAt: DateTime,
})
export type Team = Static<typeof Team>
export const TeamPage = Page(Team)

export const ListTeamsQuery = Type.Object({
  orgUnitId: Type.Optional(Type.String({ format: 'uuid', description: 'Teams in this subtree' })),
  ...PageQuery,
})
export type ListTeamsQuery = Static<typeof ListTeamsQuery>

export const AddTeamMemberBody = Body({ memberId: Id })
export const TeamMember = Type.Object({ teamId: Id, memberId: Id, createdAt: DateTime })
export type TeamMember = Static<typeof TeamMember>
