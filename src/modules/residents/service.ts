import { type SQL, sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import {
  type Caller,
  coversPath,
  findUnit,
  hasRole,
  pathInScope,
  requireRole,
  requireUnitInScope,
} from '../../shared/authz'
import { forbidden, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { hashPassword, insertResidentLogin, issueTokens } from '../identity'
import { codeHash, normaliseCode } from './codes'
import * as repo from './repo'
import type {
  CreateResidentBody,
  ListResidentsQuery,
  RegisteredResident,
  RegisterResidentBody,
  Resident,
} from './schemas'

/** Staff who keep a community's residents and invitations (admin counts as every role). */
export const RESIDENT_STAFF = ['secretary', 'grid_worker', 'clerk'] as const

export function residentDto(r: repo.ResidentRow): Resident {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    name: r.name,
    phone: r.phone,
    username: r.username,
    invitationId: r.invitationId,
    createdAt: r.createdAt,
  }
}

/** The unit, if it is a community in the caller's scope (404 outside it, 400 when it is no community). */
export async function requireCommunity(db: Db, caller: Caller, orgUnitId: string) {
  const unit = await requireUnitInScope(db, caller, orgUnitId, RESIDENT_STAFF)
  if (unit.kind !== 'community') throw validation('orgUnitId', 'residents belong to a community (社区)')
  return unit
}

/** Residents live in a community; staff over it keep them. With username and password they get a login. */
export async function createResident(db: Db, caller: Caller, body: CreateResidentBody): Promise<Resident> {
  requireRole(caller, RESIDENT_STAFF)
  if ((body.username === undefined) !== (body.password === undefined)) {
    throw validation(
      body.username === undefined ? 'username' : 'password',
      'a login needs both username and password',
    )
  }
  const passwordHash = body.password === undefined ? undefined : await hashPassword(body.password)
  return transaction(db, async (tx) => {
    const unit = await requireCommunity(tx, caller, body.orgUnitId)
    const id = await repo.insertResident(tx, {
      orgUnitId: unit.id,
      name: body.name,
      phone: body.phone ?? null,
      invitationId: null,
      createdBy: caller.userId,
    })
    if (body.username !== undefined && passwordHash !== undefined) {
      const login = await insertResidentLogin(tx, {
        username: body.username,
        passwordHash,
        residentId: id,
        communityId: unit.id,
        createdBy: caller.userId,
      })
      await auditLogin(tx, caller, login.userId, body.username, id, unit.id, login.grantId)
    }
    const resident = residentDto((await repo.findResident(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'resident.create',
      targetType: 'resident',
      targetId: id,
      orgUnitId: unit.id,
      after: resident,
    })
    return resident
  })
}

async function auditLogin(
  tx: Db,
  caller: Caller,
  userId: string,
  username: string,
  residentId: string,
  communityId: string,
  grantId: string,
) {
  await recordAudit(tx, caller, {
    action: 'user.create',
    targetType: 'user',
    targetId: userId,
    orgUnitId: communityId,
    after: { username, residentId, roles: [{ id: grantId, role: 'resident', orgUnitId: communityId }] },
  })
}

/**
 * The resident themself, or staff over their community. Anyone else: 404 if they are a resident (another
 * resident is not theirs to know of), else 403 (a role that never reads residents).
 */
export async function getResident(db: Db, caller: Caller, id: string): Promise<Resident> {
  const self = caller.residentId === id
  if (!self && !hasRole(caller, RESIDENT_STAFF)) {
    if (caller.residentId) throw notFound('resident')
    throw forbidden()
  }
  const row = await repo.findResident(db, id)
  if (!row || !(self || coversPath(caller, row.path, RESIDENT_STAFF))) throw notFound('resident')
  return residentDto(row)
}

export async function listResidents(db: Db, caller: Caller, query: ListResidentsQuery) {
  requireRole(caller, RESIDENT_STAFF)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['text', 'uuid'])
  const where: SQL[] = [pathInScope(sql`u.path`, caller, RESIDENT_STAFF)]
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || !coversPath(caller, unit.path, RESIDENT_STAFF)) throw notFound('org unit')
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, '\\$&')}%`
    where.push(sql`(r.name ilike ${like} or r.phone like ${like})`)
  }
  return toPage(await repo.listResidents(db, where, after, limit), limit, (r) => [r.name, r.id], residentDto)
}

const badCode = () =>
  validation('invitationCode', 'the invitation code is not valid: wrong, expired, revoked or used up')

/**
 * A resident registers themself with a community's invitation code and is signed in. Every code that admits
 * nobody (wrong, expired, revoked, used up) gets the same 400, before any password is hashed. The use is taken
 * by one conditional UPDATE in the transaction that creates the resident and the login, so racing
 * registrations never exceed maxUses, and a taken username (409) gives the use back.
 */
export async function registerResident(
  db: Db,
  sign: (userId: string) => string,
  body: RegisterResidentBody,
): Promise<RegisteredResident> {
  const code = normaliseCode(body.invitationCode)
  if (!code) throw badCode()
  const hash = codeHash(code)
  if (!(await repo.isUsable(db, hash))) throw badCode()
  const passwordHash = await hashPassword(body.password)
  const { resident, userId } = await transaction(db, async (tx) => {
    const invitation = await repo.takeUse(tx, hash)
    if (!invitation) throw badCode()
    const id = await repo.insertResident(tx, {
      orgUnitId: invitation.orgUnitId,
      name: body.name,
      phone: body.phone,
      invitationId: invitation.id,
      createdBy: null,
    })
    const login = await insertResidentLogin(tx, {
      username: body.username,
      passwordHash,
      residentId: id,
      communityId: invitation.orgUnitId,
      createdBy: null,
    })
    // The resident acts for themself: the trail names their new login as the actor.
    const actor: Caller = {
      userId: login.userId,
      username: body.username,
      memberId: null,
      residentId: id,
      grants: [],
    }
    await auditLogin(tx, actor, login.userId, body.username, id, invitation.orgUnitId, login.grantId)
    const resident = residentDto((await repo.findResident(tx, id))!)
    await recordAudit(tx, actor, {
      action: 'resident.register',
      targetType: 'resident',
      targetId: id,
      orgUnitId: invitation.orgUnitId,
      after: resident,
    })
    return { resident, userId: login.userId }
  })
  return { resident, tokens: await issueTokens(db, sign, userId) }
}
