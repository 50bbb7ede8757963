import Type, { type Static } from 'typebox'
import {
  Body,
  Count,
  DateTime,
  Id,
  Int32,
  NON_BLANK_TEXT_PATTERN,
  Page,
  PageQuery,
  Text,
} from '../../shared/schemas'
import { NewPassword, NewUsername, TokenPair } from '../identity'

const Name = Text(100, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN })
const Phone = Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9+()\\- ]+$' })
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const Resident = Type.Object(
  {
    id: Id,
    orgUnitId: { ...Id, description: 'The community (社区) the resident lives in' },
    name: Name,
    phone: Nullable(Phone),
    username: Nullable({ ...Text(64), description: "The resident's login, if they have one" }),
    invitationId: Nullable({
      ...Id,
      description: 'The invitation they registered with (null: created by staff)',
    }),
    createdAt: DateTime,
  },
  {
    description:
      '群众: a resident of a community who places and follows their own service requests. Not a party member: ' +
      'no points, no ledger, in no ranking or report.',
  },
)
export type Resident = Static<typeof Resident>
export const ResidentPage = Page(Resident)

export const CreateResidentBody = Body({
  orgUnitId: { ...Id, description: 'A community (社区)' },
  name: Name,
  phone: Type.Optional(Phone),
  username: Type.Optional(NewUsername),
  password: Type.Optional(NewPassword),
})
export type CreateResidentBody = Static<typeof CreateResidentBody>

export const ListResidentsQuery = Type.Object({
  orgUnitId: Type.Optional({
    ...Id,
    description: 'Residents of this community (or of the communities below it)',
  }),
  q: Type.Optional(Text(100, { minLength: 1, description: 'Part of the name or of the phone number' })),
  ...PageQuery,
})
export type ListResidentsQuery = Static<typeof ListResidentsQuery>

export const InvitationStatus = Type.Unsafe<'active' | 'expired' | 'revoked' | 'used_up'>({
  type: 'string',
  enum: ['active', 'expired', 'revoked', 'used_up'],
  description: 'active (admits registrations), expired, revoked or used_up (uses reached maxUses)',
})

const MaxUses = Int32(1, 10_000, { description: 'Registrations the code admits' })

export const ResidentInvitation = Type.Object(
  {
    id: Id,
    orgUnitId: { ...Id, description: 'The community residents who register with it join' },
    status: InvitationStatus,
    maxUses: MaxUses,
    uses: Count('Registrations made with it so far'),
    expiresAt: DateTime,
    revokedAt: Nullable(DateTime),
    createdBy: Id,
    createdAt: DateTime,
  },
  { description: 'A community’s invitation code for residents to register themselves; the code is not kept' },
)
export type ResidentInvitation = Static<typeof ResidentInvitation>
export const ResidentInvitationPage = Page(ResidentInvitation)

export const CODE_LENGTH = 8
export const CreatedResidentInvitation = Type.Object({
  ...ResidentInvitation.properties,
  code: Type.String({
    minLength: CODE_LENGTH,
    maxLength: CODE_LENGTH,
    pattern: '^[A-HJ-NP-Z2-9]+$',
    description: 'The code to hand out, shown this once: only its SHA-256 is stored',
  }),
})
export type CreatedResidentInvitation = Static<typeof CreatedResidentInvitation>

export const CreateResidentInvitationBody = Body({
  orgUnitId: { ...Id, description: 'A community (社区)' },
  maxUses: Type.Optional({ ...MaxUses, default: 100 }),
  expiresAt: Type.Optional({ ...DateTime, description: 'Default: 30 days from now; at most a year ahead' }),
})
export type CreateResidentInvitationBody = Static<typeof CreateResidentInvitationBody>

export const ListResidentInvitationsQuery = Type.Object({
  orgUnitId: Type.Optional({ ...Id, description: 'Invitations of this community (or of those below it)' }),
  ...PageQuery,
})
export type ListResidentInvitationsQuery = Static<typeof ListResidentInvitationsQuery>

export const RegisterResidentBody = Body({
  invitationCode: Type.String({
    minLength: 1,
    maxLength: 40,
    pattern: '^[A-Za-z0-9 -]+$',
    description: 'As handed out; case, spaces and hyphens do not matter',
  }),
  name: Name,
  phone: Phone,
  username: NewUsername,
  password: NewPassword,
})
export type RegisterResidentBody = Static<typeof RegisterResidentBody>

export const RegisteredResident = Type.Object({
  resident: Resident,
  tokens: { ...TokenPair, description: 'Signed in at once: as login answers' },
})
export type RegisteredResident = Static<typeof RegisteredResident>
