import { type SQL, sql } from 'drizzle-orm'
import Type, { type Static } from 'typebox'
import { type Db, rows } from '../../db/client'
import { notFound } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { DateTime, Id, Page, PageQuery } from '../../shared/schemas'
import { type Caller, coversPath, findUnit, isAdmin, pathInScope, requireRole } from '../identity/scope'

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

interface Row {
  id: string
  at: string
  actorUserId: string | null
  action: string
  targetType: string
  targetId: string
  orgUnitId: string | null
  before: unknown
  after: unknown
}

/**
 * Newest first. A secretary reads events of units in their subtrees; events tied to no unit (a login
 * created without a member) only an admin reads.
 */
export async function listAuditEvents(db: Db, caller: Caller, query: ListAuditEventsQuery) {
  requireRole(caller, READERS)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const where: SQL[] = []
  if (!isAdmin(caller)) where.push(pathInScope(sql`a.org_path`, caller, READERS))
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || !coversPath(caller, unit.path, READERS)) throw notFound('org unit')
    where.push(sql`a.org_path like ${`${unit.path}%`}`)
  }
  if (query.targetType) where.push(sql`a.target_type = ${query.targetType}`)
  if (query.targetId) where.push(sql`a.target_id = ${query.targetId}`)
  if (after) where.push(sql`(a.at, a.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const clause = where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``
  const found = await rows<Row>(
    db,
    sql`select a.id, to_json(a.at)#>>'{}' as at,
               a.actor_user_id as "actorUserId", a.action, a.target_type as "targetType", a.target_id as "targetId",
               a.org_unit_id as "orgUnitId", a.before, a.after
        from audit_events a ${clause}
        order by a.at desc, a.id desc limit ${limit + 1}`,
  )
  return toPage(found, limit, (r) => [r.at, r.id])
}
