import { sql } from 'drizzle-orm'
import { type Db, pgConstraint, pgErrorCode, transaction } from '../../db/client'
import type { Role } from '../../db/schema/identity'
import { ACCESS_TOKEN_SECONDS } from '../../plugins/auth'
import {
  type Caller,
  coversPath,
  findUnit,
  isAdmin,
  pathInScope,
  requireMemberAtHome,
  requireRole,
  requireUnitInScope,
} from '../../shared/authz'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { findMemberSummary } from '../members'
import { hashPassword, verifyPassword } from './passwords'
import * as repo from './repo'
import type { CreateUserBody, Grant, GrantRoleBody, ListUsersQuery, Me, TokenPair, User } from './schemas'
import { issueRefreshToken, revokeByToken, rotateRefreshToken } from './tokens'

const GRANTERS = ['secretary'] as const // and admin, which counts as every role

const badCredentials = () => new DomainError('unauthorized', 'username or password is wrong')

function pair(accessToken: string, refreshToken: string): TokenPair {
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_SECONDS }
}

/** Unknown user, disabled user and wrong password answer alike, after one Argon2 verification each. */
export async function login(
  db: Db,
  sign: (userId: string) => string,
  username: string,
  password: string,
): Promise<TokenPair> {
  const user = await repo.findLoginUser(db, username)
  const ok = await verifyPassword(user?.passwordHash, password)
  if (!user || !ok || user.disabled) throw badCredentials()
  const refreshToken = await transaction(db, (tx) => issueRefreshToken(tx, user.id))
  return pair(sign(user.id), refreshToken)
}

export async function refresh(db: Db, sign: (userId: string) => string, token: string): Promise<TokenPair> {
  const outcome = await rotateRefreshToken(db, token)
  if (!outcome.ok) {
    const detail =
      outcome.reason === 'reused'
        ? 'this refresh token was already used; every token of its session is now revoked, log in again'
        : 'the refresh token is invalid, expired or revoked'
    throw new DomainError('unauthorized', detail)
  }
  return pair(sign(outcome.userId), outcome.refreshToken)
}

export async function logout(db: Db, caller: Caller, token: string): Promise<void> {
  await revokeByToken(db, caller.userId, token)
}

export async function getMe(db: Db, caller: Caller): Promise<Me> {
  return {
    user: { id: caller.userId, username: caller.username },
    member: caller.memberId ? ((await findMemberSummary(db, caller.memberId)) ?? null) : null,
    resident: caller.residentId ? ((await repo.findResidentSummary(db, caller.residentId)) ?? null) : null,
    roles: caller.grants.map((g) => ({ id: g.id, role: g.role, orgUnitId: g.orgUnitId })),
  }
}

/**
 * Creates a login. With `memberId` (a member the caller may see as secretary) the user is linked to that
 * member and gets role `member` on the member's home unit, so they can see their own records at once.
 */
export async function createUser(db: Db, caller: Caller, body: CreateUserBody): Promise<User> {
  requireRole(caller, GRANTERS)
  const passwordHash = await hashPassword(body.password)
  try {
    return await transaction(db, async (tx) => {
      // Only the member's home side gives them a login: a community that sees the member through 双报到 may not.
      const member = body.memberId
        ? await requireMemberAtHome(tx, caller, body.memberId, GRANTERS, { allowSelf: false })
        : undefined
      const user = await repo.insertUser(tx, {
        username: body.username,
        passwordHash,
        memberId: member?.id ?? null,
        createdBy: caller.userId,
      })
      if (member) await repo.insertGrant(tx, user.id, 'member', member.orgUnitId, caller.userId)
      const out: User = {
        id: user.id,
        username: body.username,
        memberId: member?.id ?? null,
        roles: await repo.grantsOf(tx, user.id),
        createdAt: user.createdAt,
      }
      await recordAudit(tx, caller, {
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        orgUnitId: member?.orgUnitId ?? null,
        after: { username: out.username, memberId: out.memberId, roles: out.roles },
      })
      return out
    })
  } catch (err) {
    if (pgErrorCode(err) === '23505' && pgConstraint(err)?.includes('username')) {
      throw new DomainError('conflict', 'that username is taken')
    }
    if (pgErrorCode(err) === '23505' && pgConstraint(err)?.includes('member')) {
      throw new DomainError('conflict', 'that member already has a login')
    }
    throw err
  }
}

/** Nobody grants outside their own scope; only admin grants admin; secretaries grant every other role. */
export async function grantRole(db: Db, caller: Caller, userId: string, body: GrantRoleBody): Promise<Grant> {
  requireRole(caller, GRANTERS)
  if (body.role === 'admin' && !isAdmin(caller)) throw forbidden('only an admin grants admin')
  // A resident's grant comes with their resident record and its community (createResident, registerResident):
  // granted by hand it could put a login on a community it does not live in, or make a staff login a resident.
  if ((body.role as Role) === 'resident') {
    throw validation('role', 'role resident is given only with a resident account (createResident)')
  }
  try {
    return await transaction(db, async (tx) => {
      await requireUnitInScope(tx, caller, body.orgUnitId, GRANTERS)
      const user = await repo.lockUser(tx, userId, usersInScope(caller))
      if (!user) throw notFound('user')
      if (body.role === 'member' && !user.memberId) {
        throw validation('role', 'role member needs a user linked to a member record')
      }
      const grant = await repo.insertGrant(tx, userId, body.role, body.orgUnitId, caller.userId)
      const out: Grant = {
        id: grant.id,
        userId,
        role: body.role,
        orgUnitId: body.orgUnitId,
        createdAt: grant.createdAt,
      }
      await recordAudit(tx, caller, {
        action: 'user.grant_role',
        targetType: 'user',
        targetId: userId,
        orgUnitId: body.orgUnitId,
        after: out,
      })
      return out
    })
  } catch (err) {
    if (pgErrorCode(err) === '23505')
      throw new DomainError('conflict', 'the user already holds that role there')
    throw err
  }
}

export async function revokeRole(db: Db, caller: Caller, userId: string, grantId: string): Promise<void> {
  requireRole(caller, GRANTERS)
  await transaction(db, async (tx) => {
    if (!(await repo.lockUser(tx, userId, usersInScope(caller)))) throw notFound('role grant')
    const grant = await repo.lockGrant(tx, userId, grantId)
    const unit = grant ? await findUnit(tx, grant.orgUnitId) : undefined
    if (!grant || !unit || !coversPath(caller, unit.path, GRANTERS)) throw notFound('role grant')
    if (grant.role === 'admin') {
      if (!isAdmin(caller)) throw forbidden('only an admin revokes admin')
      if ((await repo.otherAdminGrants(tx, grantId)) === 0)
        throw invalidState('this is the last admin grant; grant admin to someone else first')
    }
    await repo.deleteGrant(tx, grantId)
    await recordAudit(tx, caller, {
      action: 'user.revoke_role',
      targetType: 'user',
      targetId: userId,
      orgUnitId: grant.orgUnitId,
      before: { id: grant.id, userId, role: grant.role, orgUnitId: grant.orgUnitId },
    })
  })
}

/** The users the caller administers (repo.userInScope): everyone for an admin. */
function usersInScope(caller: Caller) {
  if (isAdmin(caller)) return sql`true`
  return repo.userInScope((path) => pathInScope(path, caller, GRANTERS), caller.userId)
}

/**
 * Users the caller administers (usersInScope): an admin sees everyone; a secretary, users whose member is at
 * home in their subtrees or whose every grant lies there, and the logins they created that hold nothing yet.
 * Others: 403. Everyone else is 404 on every user operation, as if they did not exist.
 */
export async function listUsers(db: Db, caller: Caller, query: ListUsersQuery) {
  requireRole(caller, GRANTERS)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['text', 'uuid'])
  const where = []
  where.push(usersInScope(caller))
  if (query.orgUnitId) {
    const unit = await requireUnitInScope(db, caller, query.orgUnitId, GRANTERS)
    where.push(repo.userInside((path) => sql`${path} like ${`${unit.path}%`}`))
  }
  if (query.q) where.push(sql`usr.username ilike ${`%${query.q.replace(/[\\%_]/g, '\\$&')}%`}`)
  return toPage(await repo.listUsers(db, where, after, limit), limit, (u) => [u.username, u.id])
}

export async function getUser(db: Db, caller: Caller, id: string): Promise<User> {
  requireRole(caller, GRANTERS)
  const where = [sql`usr.id = ${id}`, usersInScope(caller)]
  const [found] = await repo.listUsers(db, where, undefined, 1)
  if (!found) throw notFound('user')
  return found
}
