import Type, { type Static } from 'typebox'
import { ROLES, type Role } from '../../db/schema/identity'
import { Body, DateTime, Id, Int32, Page, PageQuery, Text } from '../../shared/schemas'
import { MIN_PASSWORD_LENGTH } from './passwords'

export const RoleSchema = Type.Unsafe<Role>({
  type: 'string',
  enum: [...ROLES],
  description:
    'admin, secretary, panelist, grid_worker, clerk, member or resident (群众: granted only by createResident ' +
    'and registerResident, never by grantRole)',
})

export const LoginBody = Body({
  username: Text(200, { minLength: 1 }),
  password: Type.String({ minLength: 1, maxLength: 1000 }),
})
export type LoginBody = Static<typeof LoginBody>

export const RefreshBody = Body({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) })
export type RefreshBody = Static<typeof RefreshBody>

export const TokenPair = Type.Object({
  accessToken: Type.String({
    maxLength: 2000,
    pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
    description: 'JWT (HS256), valid for expiresIn seconds',
  }),
  refreshToken: Type.String({
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Opaque, single use: each refresh returns a new one',
  }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Int32(1, 86_400, { description: 'Seconds until the access token expires' }),
})
export type TokenPair = Static<typeof TokenPair>

export const RoleGrant = Type.Object({ id: Id, role: RoleSchema, orgUnitId: Id })
/** Usernames are 3-64 characters (createUser, BOOTSTRAP_ADMIN_USERNAME). */
const Username = Text(64)
/** One grant per role and unit; a documented bound, far above any real user's grants. */
const Roles = Type.Array(RoleGrant, { maxItems: 1000 })

export const MeMember = Type.Object({ id: Id, name: Text(100), orgUnitId: Id })

export const MeResident = Type.Object({
  id: Id,
  name: Text(100),
  orgUnitId: { ...Id, description: 'The community the resident lives in' },
})

export const Me = Type.Object({
  user: Type.Object({ id: Id, username: Username }),
  member: Type.Union([MeMember, Type.Null()]),
  resident: Type.Union([MeResident, Type.Null()], {
    description: "The resident (群众) this login belongs to; null for members' and staff logins",
  }),
  roles: Roles,
})
export type Me = Static<typeof Me>

/** A username a new login takes (createUser, createResident, registerResident). */
export const NewUsername = Text(64, {
  minLength: 3,
  pattern: '^[^\\s\\u0000-\\u001F\\u007F]+$',
  description: 'No spaces or control characters',
})
/** A new login's password: stored only as an Argon2id hash. */
export const NewPassword = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 200 })

export const CreateUserBody = Body({
  username: NewUsername,
  password: NewPassword,
  memberId: Type.Optional(Id),
})
export type CreateUserBody = Static<typeof CreateUserBody>

export const User = Type.Object({
  id: Id,
  username: Username,
  memberId: Type.Union([Id, Type.Null()]),
  roles: Roles,
  createdAt: DateTime,
})
export type User = Static<typeof User>

/** The roles grantRole hands out: every role but resident, which comes only with a resident account. */
export const GrantableRole = Type.Unsafe<Exclude<Role, 'resident'>>({
  type: 'string',
  enum: ROLES.filter((r) => r !== 'resident'),
  description:
    'admin, secretary, panelist, grid_worker, clerk or member (resident comes only with a resident account)',
})

export const GrantRoleBody = Body({ role: GrantableRole, orgUnitId: Id })
export type GrantRoleBody = Static<typeof GrantRoleBody>

export const Grant = Type.Object({
  id: Id,
  userId: Id,
  role: RoleSchema,
  orgUnitId: Id,
  createdAt: DateTime,
})
export type Grant = Static<typeof Grant>

export const UserRoleParams = Type.Object({ id: Id, grantId: Id })

export const ListUsersQuery = Type.Object({
  q: Type.Optional(Text(100, { minLength: 1, description: 'Part of the username' })),
  orgUnitId: Type.Optional({ ...Id, description: 'Users with a grant or a linked member in this subtree' }),
  ...PageQuery,
})
export type ListUsersQuery = Static<typeof ListUsersQuery>
export const UserPage = Page(User)
