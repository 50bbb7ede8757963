import { and, desc, eq, like, type SQL, sql } from 'drizzle-orm'
import Type, { type Static } from 'typebox'
import type { Db } from '../../db/client'
import { auditEvents as a } from '../../db/schema/platform'
import { type Caller, coversPath, findUnit, isAdmin, pathInScope, requireRole } from '../../shared/authz'
import { notFound } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { DateTime, Id, Page, PageQuery } from '../../shared/schemas'
import { formatInstant } from '../../shared/time'

const READERS = ['secretary'] as const // and admin

/** The singular snake noun of what changed (org_unit, member, ...), as written by the services. */
const TargetType = Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z_]+$' })

export const ListAuditEventsQuery = Type.Object({
  orgUnitId: Type.Optional({ ...Id, description: 'Events of this unit’s subtree' }),
  targetType: Type.Optional(TargetType),
  targetId: Type.Optional(Id),
  ...PageQuery,
})
export type ListAuditEventsQuery = Static<typeof ListAuditEventsQuery>

export const AuditEvent = Type.Object({
  id: Id,
  at: DateTime,
  actorUserId: Type.Union([Id, Type.Null()], { description: 'null: the system (bootstrap, sweeps)' }),
  action: Type.String({
    maxLength: 100,
    pattern: '^[a-z_]+(\\.[a-z_]+)+$',
    description: '<target type>.<verb>, e.g. member.update',
  }),
  targetType: TargetType,
  targetId: Id,
  orgUnitId: Type.Union([Id, Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
})
export const AuditEventPage = Page(AuditEvent)

/**
 * Newest first. A secretary reads events of units in their subtrees; events tied to no unit (a login
 * created without a member) only an admin reads.
 */
export async function listAuditEvents(db: Db, caller: Caller, query: ListAuditEventsQuery) {
  requireRole(caller, READERS)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const where: SQL[] = []
  if (!isAdmin(caller)) where.push(pathInScope(sql`${a.orgPath}`, caller, READERS))
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || !coversPath(caller, unit.path, READERS)) throw notFound('org unit')
    where.push(like(a.orgPath, `${unit.path}%`))
  }
  if (query.targetType) where.push(eq(a.targetType, query.targetType))
  if (query.targetId) where.push(eq(a.targetId, query.targetId))
  // Keyset: a row comparison, which drizzle has no operator for.
  if (after) where.push(sql`(${a.at}, ${a.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const found = await db
    .select({
      id: a.id,
      // The exact text (microseconds): the cursor must name this row, not a millisecond-rounded Date.
      at: sql<string>`to_json(${a.at})#>>'{}'`,
      actorUserId: a.actorUserId,
      action: a.action,
      targetType: a.targetType,
      targetId: a.targetId,
      orgUnitId: a.orgUnitId,
      before: a.before,
      after: a.after,
    })
    .from(a)
    .where(and(...where))
    .orderBy(desc(a.at), desc(a.id))
    .limit(limit + 1)
  return toPage(
    found,
    limit,
    (r) => [r.at, r.id],
    (r) => ({ ...r, at: formatInstant(r.at) }),
  )
}
