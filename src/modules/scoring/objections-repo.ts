import { sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ObjectionStatus } from '../../db/schema/scoring'
import { asDate, asDateOrNull } from './claims-repo'

export interface ObjectionRow {
  id: string
  claimId: string
  roundId: string
  memberId: string
  reason: string
  status: ObjectionStatus
  reply: string | null
  createdAt: Date
  resolvedAt: Date | null
  path: string
}

const OBJECTION_COLUMNS = sql`o.id, o.claim_id as "claimId", o.round_id as "roundId", o.member_id as "memberId",
  o.reason, o.status, o.reply, o.created_at as "createdAt", o.resolved_at as "resolvedAt"`

export async function insertObjection(
  db: Db,
  o: { claimId: string; roundId: string; memberId: string; filedBy: string; reason: string },
): Promise<ObjectionRow> {
  const row = await one<ObjectionRow>(
    db,
    sql`insert into objections as o (claim_id, round_id, member_id, filed_by, reason)
        values (${o.claimId}, ${o.roundId}, ${o.memberId}, ${o.filedBy}, ${o.reason})
        returning ${OBJECTION_COLUMNS}`,
  )
  return toObjection(row!)
}

function toObjection(o: ObjectionRow): ObjectionRow {
  return { ...o, createdAt: asDate(o.createdAt), resolvedAt: asDateOrNull(o.resolvedAt) }
}

export async function findObjection(db: Db, id: string, lock = false): Promise<ObjectionRow | undefined> {
  const o = await one<ObjectionRow>(
    db,
    sql`select ${OBJECTION_COLUMNS}, u.path from objections o
        join scoring_rounds r on r.id = o.round_id join org_units u on u.id = r.org_unit_id
        where o.id = ${id} ${lock ? sql`for update of o` : sql``}`,
  )
  return o && toObjection(o)
}

export async function resolveObjection(
  db: Db,
  id: string,
  r: { status: 'upheld' | 'rescore'; reply: string; by: string },
): Promise<ObjectionRow | undefined> {
  const o = await one<ObjectionRow>(
    db,
    sql`update objections o set status = ${r.status}, reply = ${r.reply}, resolved_by = ${r.by}, resolved_at = now()
        where o.id = ${id} and o.status = 'open' returning ${OBJECTION_COLUMNS}`,
  )
  return o && toObjection(o)
}

export async function objectionsOf(db: Db, claimIds: string[]): Promise<ObjectionRow[]> {
  if (claimIds.length === 0) return []
  const found = await rows<ObjectionRow>(
    db,
    sql`select ${OBJECTION_COLUMNS} from objections o
        where o.claim_id in (${sql.join(
          claimIds.map((c) => sql`${c}::uuid`),
          sql`, `,
        )}) order by o.created_at, o.id`,
  )
  return found.map(toObjection)
}

export async function openObjectionIds(db: Db, roundId: string): Promise<string[]> {
  const found = await rows<{ id: string }>(
    db,
    sql`select id from objections where round_id = ${roundId} and status = 'open' order by created_at, id`,
  )
  return found.map((f) => f.id)
}

/** A round's objections, oldest first (the order they are answered in). */
export async function listObjectionRows(
  db: Db,
  roundId: string,
  status: string | undefined,
): Promise<ObjectionRow[]> {
  const found = await rows<ObjectionRow>(
    db,
    sql`select ${OBJECTION_COLUMNS} from objections o
        where o.round_id = ${roundId} ${status ? sql`and o.status = ${status}` : sql``}
        order by o.created_at, o.id`,
  )
  return found.map(toObjection)
}

export async function hasOpenObjection(db: Db, claimId: string, memberId: string): Promise<boolean> {
  const row = await one(
    db,
    sql`select 1 from objections where claim_id = ${claimId} and member_id = ${memberId} and status = 'open'`,
  )
  return Boolean(row)
}
