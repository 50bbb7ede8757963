import { type SQL, sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import { type Caller, coversPath, findUnit, pathInScope, requireRole } from '../../shared/authz'
import { invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { codeHash, newInvitationCode } from './codes'
import * as repo from './repo'
import type {
  CreatedResidentInvitation,
  CreateResidentInvitationBody,
  ListResidentInvitationsQuery,
  ResidentInvitation,
} from './schemas'
import { RESIDENT_STAFF, requireCommunity } from './service'

const DAY_MS = 86_400_000
/** An invitation lasts 30 days unless it says otherwise, and at most a year. */
export const DEFAULT_INVITATION_DAYS = 30
export const MAX_INVITATION_DAYS = 366

export function invitationDto(r: repo.InvitationRow, now = Date.now()): ResidentInvitation {
  const status =
    r.revokedAt !== null
      ? 'revoked'
      : r.uses >= r.maxUses
        ? 'used_up'
        : Date.parse(r.expiresAt) <= now
          ? 'expired'
          : 'active'
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    status,
    maxUses: r.maxUses,
    uses: r.uses,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
  }
}

/** A new code for a community; the answer is the only place the code ever appears. */
export async function createResidentInvitation(
  db: Db,
  caller: Caller,
  body: CreateResidentInvitationBody,
): Promise<CreatedResidentInvitation> {
  requireRole(caller, RESIDENT_STAFF)
  const now = Date.now()
  const expiresAt = body.expiresAt
    ? new Date(body.expiresAt)
    : new Date(now + DEFAULT_INVITATION_DAYS * DAY_MS)
  if (expiresAt.getTime() <= now) throw validation('expiresAt', 'must be in the future')
  if (expiresAt.getTime() > now + MAX_INVITATION_DAYS * DAY_MS)
    throw validation('expiresAt', 'an invitation lasts at most a year')
  return transaction(db, async (tx) => {
    const unit = await requireCommunity(tx, caller, body.orgUnitId)
    // 40 bits: a clash with a stored code is all but impossible; a few draws settle it if one happens.
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = newInvitationCode()
      const id = await repo.insertInvitation(tx, {
        orgUnitId: unit.id,
        codeHash: codeHash(code),
        maxUses: body.maxUses ?? 100,
        expiresAt,
        createdBy: caller.userId,
      })
      if (!id) continue
      const invitation = invitationDto((await repo.findInvitation(tx, id))!)
      await recordAudit(tx, caller, {
        action: 'resident_invitation.create',
        targetType: 'resident_invitation',
        targetId: id,
        orgUnitId: unit.id,
        after: invitation,
      })
      return { ...invitation, code }
    }
    throw new Error('could not draw an unused invitation code')
  })
}

export async function listResidentInvitations(db: Db, caller: Caller, query: ListResidentInvitationsQuery) {
  requireRole(caller, RESIDENT_STAFF)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const where: SQL[] = [pathInScope(sql`u.path`, caller, RESIDENT_STAFF)]
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || !coversPath(caller, unit.path, RESIDENT_STAFF)) throw notFound('org unit')
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  const now = Date.now()
  return toPage(
    await repo.listInvitations(db, where, after, limit),
    limit,
    (i) => [i.cursorAt, i.id],
    (i) => invitationDto(i, now),
  )
}

/** The code admits nobody from now on; residents who registered with it keep their accounts. */
export async function revokeResidentInvitation(
  db: Db,
  caller: Caller,
  id: string,
): Promise<ResidentInvitation> {
  requireRole(caller, RESIDENT_STAFF)
  return transaction(db, async (tx) => {
    const found = await repo.findInvitation(tx, id, true)
    if (!found || !coversPath(caller, found.path, RESIDENT_STAFF)) throw notFound('resident invitation')
    if (found.revokedAt !== null) throw invalidState('the invitation is already revoked')
    await repo.revokeInvitation(tx, id)
    const after = invitationDto((await repo.findInvitation(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'resident_invitation.revoke',
      targetType: 'resident_invitation',
      targetId: id,
      orgUnitId: found.orgUnitId,
      before: invitationDto(found),
      after,
    })
    return after
  })
}
