import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { Member } from './schemas'

interface MemberRow {
  id: string
  orgUnitId: string
  name: string
  phone: string | null
  isPartyMember: boolean
  workUnit: string | null
  status: 'active' | 'inactive'
  registrations: { id: string; orgUnitId: string; createdAt: string }[]
  createdAt: string
  updatedAt: string
}

const SELECT_MEMBER = sql`
  select m.id, m.org_unit_id as "orgUnitId", m.name, m.phone, m.is_party_member as "isPartyMember",
    m.work_unit as "workUnit", m.status, to_json(m.created_at)#>>'{}' as "createdAt", to_json(m.updated_at)#>>'{}' as "updatedAt",
    coalesce((select json_agg(json_build_object('id', r.id, 'orgUnitId', r.org_unit_id, 'createdAt', r.created_at)
                order by r.created_at)
              from member_registrations r where r.member_id = m.id), '[]'::json) as registrations
  from members m join org_units u on u.id = m.org_unit_id`

function toMember(r: MemberRow): Member {
  return {
    ...r,
    registrations: r.registrations,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

export async function findMember(db: Db, id: string, lock = false): Promise<Member | undefined> {
  const row = await one<MemberRow>(
    db,
    sql`${SELECT_MEMBER} where m.id = ${id} ${lock ? sql`for update of m` : sql``}`,
  )
  return row && toMember(row)
}

export async function listMembers(db: Db, where: SQL[], after: [string, string] | undefined, limit: number) {
  const conds = [...where]
  if (after) conds.push(sql`(m.name, m.id) > (${after[0]}, ${after[1]}::uuid)`)
  const found = await rows<MemberRow>(
    db,
    sql`${SELECT_MEMBER} where ${sql.join(conds, sql` and `)} order by m.name, m.id limit ${limit + 1}`,
  )
  return found.map(toMember)
}

export interface MemberFields {
  orgUnitId: string
  name: string
  phone: string | null
  isPartyMember: boolean
  workUnit: string | null
}

export async function insertMember(db: Db, f: MemberFields): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into members (org_unit_id, name, phone, is_party_member, work_unit)
        values (${f.orgUnitId}, ${f.name}, ${f.phone}, ${f.isPartyMember}, ${f.workUnit}) returning id`,
  )
  return row!.id
}

/** One statement for the whole import: all rows or none. */
export async function insertMembers(db: Db, list: MemberFields[]): Promise<{ id: string; name: string }[]> {
  return rows<{ id: string; name: string }>(
    db,
    sql`insert into members (org_unit_id, name, phone, is_party_member, work_unit)
        select x."orgUnitId", x.name, x.phone, x."isPartyMember", x."workUnit"
        from jsonb_to_recordset(${JSON.stringify(list)}::jsonb)
          as x("orgUnitId" uuid, name text, phone text, "isPartyMember" boolean, "workUnit" text)
        returning id, name`,
  )
}

export async function updateMember(db: Db, id: string, set: Partial<MemberFields> & { status?: string }) {
  const parts: SQL[] = [sql`updated_at = now()`]
  if (set.name !== undefined) parts.push(sql`name = ${set.name}`)
  if (set.phone !== undefined) parts.push(sql`phone = ${set.phone}`)
  if (set.isPartyMember !== undefined) parts.push(sql`is_party_member = ${set.isPartyMember}`)
  if (set.workUnit !== undefined) parts.push(sql`work_unit = ${set.workUnit}`)
  if (set.orgUnitId !== undefined) parts.push(sql`org_unit_id = ${set.orgUnitId}`)
  if (set.status !== undefined) parts.push(sql`status = ${set.status}`)
  await db.execute(sql`update members set ${sql.join(parts, sql`, `)} where id = ${id}`)
}

export async function insertRegistration(db: Db, memberId: string, orgUnitId: string) {
  return (await one<{ id: string; createdAt: string }>(
    db,
    sql`insert into member_registrations (member_id, org_unit_id) values (${memberId}, ${orgUnitId})
        returning id, to_json(created_at)#>>'{}' as "createdAt"`,
  ))!
}
