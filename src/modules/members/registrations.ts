import { type SQL, sql } from 'drizzle-orm'
import { type Db, pgErrorCode, transaction } from '../../db/client'
import type { RegistrationStatus } from '../../db/schema/members'
import {
  type Caller,
  coversPath,
  findUnit,
  hasRole,
  pathInScope,
  requireMemberAtHome,
  requireUnitInScope,
} from '../../shared/authz'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import * as repo from './repo'
import type { ListRegistrationsQuery, Registration } from './schemas'

/**
 * 双报到 by consent. Three parties, each with its own part:
 * - the member, or staff over the member's home unit (`HOME_SIDE`), ask for a registration with a community;
 * - the community's secretary (`COMMUNITY_SIDE` over the community) accepts or declines it;
 * - any of them may end it; the row stays, so the history of who served where is kept.
 * Only an accepted registration puts the member in the community's scope (scope.ts `registeredWhere`).
 * Before acceptance the community learns the member's name and home unit name, and nothing else.
 */
const HOME_SIDE = ['secretary'] as const
const COMMUNITY_SIDE = ['secretary'] as const
/** Who may read registrations: staff over either side; a member reads their own. */
const READERS = ['secretary', 'grid_worker'] as const

type Side = 'self' | 'home' | 'community'

/** The sides the caller acts for on this registration (empty: it is none of theirs, so 404). */
function sidesOf(
  caller: Caller,
  reg: repo.RegistrationScopeRow,
  roles: readonly ('secretary' | 'grid_worker')[],
) {
  const sides = new Set<Side>()
  if (caller.memberId === reg.memberId) sides.add('self')
  if (coversPath(caller, reg.homePath, roles)) sides.add('home')
  if (coversPath(caller, reg.communityPath, roles)) sides.add('community')
  return sides
}

const strip = ({
  homePath: _h,
  communityPath: _c,
  ...registration
}: repo.RegistrationScopeRow): Registration => registration

/**
 * The member, or staff over the member's home unit, asks for a registration with a residential community; it
 * waits for the community's decision. A member outside the caller's home-side scope answers 404, word for word
 * the answer for an id that does not exist, after the same single read.
 */
export async function registerMember(
  db: Db,
  caller: Caller,
  memberId: string,
  orgUnitId: string,
): Promise<Registration> {
  try {
    return await transaction(db, async (tx) => {
      const member = await requireMemberAtHome(tx, caller, memberId, HOME_SIDE)
      const unit = await findUnit(tx, orgUnitId)
      if (!unit) throw notFound('org unit')
      if (unit.kind !== 'community')
        throw validation('orgUnitId', 'must be a residential community (kind community)')
      if (member.path.startsWith(unit.path))
        throw validation('orgUnitId', 'the member’s home unit already lies in this community')
      const reg = await repo.insertRegistration(tx, memberId, orgUnitId, caller.userId)
      const out = strip(reg)
      await recordAudit(tx, caller, {
        action: 'member.register',
        targetType: 'member',
        targetId: memberId,
        orgUnitId: member.orgUnitId,
        after: out,
      })
      return out
    })
  } catch (err) {
    if (pgErrorCode(err) === '23505')
      throw new DomainError('conflict', 'the member already has a pending or accepted registration there')
    throw err
  }
}

/** A registration the caller has a part in (see sidesOf), else 404; 403 for callers with no part anywhere. */
async function requireRegistration(
  db: Db,
  caller: Caller,
  id: string,
  roles: readonly ('secretary' | 'grid_worker')[],
) {
  if (!caller.memberId && !hasRole(caller, roles)) throw forbidden()
  const reg = await repo.findRegistration(db, id)
  const sides = reg ? sidesOf(caller, reg, roles) : new Set<Side>()
  if (!reg || sides.size === 0) throw notFound('registration')
  return { reg, sides }
}

async function decide(
  db: Db,
  caller: Caller,
  id: string,
  to: { status: 'accepted' | 'declined' | 'ended'; reason: string | null },
): Promise<Registration> {
  return transaction(db, async (tx) => {
    const { reg, sides } = await requireRegistration(tx, caller, id, COMMUNITY_SIDE)
    const from: RegistrationStatus[] = to.status === 'ended' ? ['pending', 'accepted'] : ['pending']
    if (to.status !== 'ended' && !sides.has('community'))
      throw forbidden('only a secretary over the community accepts or declines a registration')
    if (
      !from.includes(reg.status) ||
      !(await repo.setRegistrationStatus(tx, id, from, { ...to, by: caller.userId }))
    )
      throw invalidState(`the registration is ${reg.status}; it cannot become ${to.status}`)
    const after = strip((await repo.findRegistration(tx, id))!)
    await recordAudit(tx, caller, {
      action: `member.registration_${to.status === 'accepted' ? 'accept' : to.status === 'declined' ? 'decline' : 'end'}`,
      targetType: 'member',
      targetId: reg.memberId,
      orgUnitId: reg.orgUnitId,
      before: strip(reg),
      after,
    })
    return after
  })
}

/** The community's secretary takes the member on: from now on the community sees and may involve them. */
export const acceptRegistration = (db: Db, caller: Caller, id: string) =>
  decide(db, caller, id, { status: 'accepted', reason: null })

export const declineRegistration = (db: Db, caller: Caller, id: string, reason: string | undefined) =>
  decide(db, caller, id, { status: 'declined', reason: reason ?? null })

/** The member, the home side or the community ends a pending or accepted registration; new work there stops. */
export const endRegistration = (db: Db, caller: Caller, id: string, reason: string) =>
  decide(db, caller, id, { status: 'ended', reason })

/**
 * Registrations the caller has a part in, newest first: their own (a member), those of members of their home
 * units, those with their communities (staff). `orgUnitId` narrows to registrations with communities in that
 * subtree or of members at home there.
 */
export async function listRegistrations(db: Db, caller: Caller, query: ListRegistrationsQuery) {
  if (!caller.memberId && !hasRole(caller, READERS)) throw forbidden()
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const parts: SQL[] = [
    pathInScope(sql`hu.path`, caller, READERS),
    pathInScope(sql`cu.path`, caller, READERS),
  ]
  if (caller.memberId) parts.push(sql`r.member_id = ${caller.memberId}`)
  const where: SQL[] = [sql`(${sql.join(parts, sql` or `)})`]
  if (query.orgUnitId) {
    const unit = await requireUnitInScope(db, caller, query.orgUnitId, READERS)
    where.push(sql`(cu.path like ${`${unit.path}%`} or hu.path like ${`${unit.path}%`})`)
  }
  if (query.memberId) where.push(sql`r.member_id = ${query.memberId}`)
  if (query.status) where.push(sql`r.status = ${query.status}`)
  return toPage(
    await repo.listRegistrations(db, where, after, limit),
    limit,
    (r) => [r.cursorAt, r.id],
    ({ cursorAt: _c, ...r }) => r,
  )
}
