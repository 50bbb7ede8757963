import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { RegistrationStatus } from '../../db/schema/members'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { IdentityType } from './identity'
import type { Member, Registration } from './schemas'

interface MemberRow {
  id: string
  orgUnitId: string
  name: string
  phone: string | null
  isPartyMember: boolean
  workUnit: string | null
  status: 'active' | 'inactive'
  identityType: IdentityType | null
  identityMasked: string | null
  registrations: { id: string; orgUnitId: string; status: RegistrationStatus; createdAt: string }[]
  createdAt: string
  updatedAt: string
}

const SELECT_MEMBER = sql`
  select m.id, m.org_unit_id as "orgUnitId", m.name, m.phone, m.is_party_member as "isPartyMember",
    m.work_unit as "workUnit", m.status, m.identity_type as "identityType", m.identity_masked as "identityMasked",
    to_json(m.created_at)#>>'{}' as "createdAt", to_json(m.updated_at)#>>'{}' as "updatedAt",
    coalesce((select json_agg(json_build_object('id', r.id, 'orgUnitId', r.org_unit_id, 'status', r.status,
                                                'createdAt', r.created_at) order by r.created_at)
              from member_registrations r where r.member_id = m.id and r.status in ('pending', 'accepted')),
             '[]'::json) as registrations
  from members m join org_units u on u.id = m.org_unit_id`

function toMember({ identityType, identityMasked, ...r }: MemberRow): Member {
  return {
    ...r,
    identityDocument:
      identityType && identityMasked ? { type: identityType, maskedNumber: identityMasked } : null,
    registrations: r.registrations.map((g) => ({ ...g, createdAt: formatInstant(g.createdAt) })),
    createdAt: formatInstant(r.createdAt),
    updatedAt: formatInstant(r.updatedAt),
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

/** A member of an import: its id chosen beforehand (the identity number is sealed for it), the document sealed. */
export interface ImportedMember extends MemberFields {
  id: string
  identity: { type: string; sealed: string; hash: string; masked: string } | null
}

/** One statement for the whole import: all rows or none. */
export async function insertMembers(db: Db, list: ImportedMember[]): Promise<{ id: string; name: string }[]> {
  const flat = list.map(({ identity, ...m }) => ({
    ...m,
    identityType: identity?.type ?? null,
    identitySealed: identity?.sealed ?? null,
    identityHash: identity?.hash ?? null,
    identityMasked: identity?.masked ?? null,
  }))
  return rows<{ id: string; name: string }>(
    db,
    sql`insert into members (id, org_unit_id, name, phone, is_party_member, work_unit, identity_type, identity_sealed,
                             identity_hash, identity_masked)
        select x.id, x."orgUnitId", x.name, x.phone, x."isPartyMember", x."workUnit", x."identityType",
               x."identitySealed", x."identityHash", x."identityMasked"
        from jsonb_to_recordset(${JSON.stringify(flat)}::jsonb)
          as x(id uuid, "orgUnitId" uuid, name text, phone text, "isPartyMember" boolean, "workUnit" text,
               "identityType" text, "identitySealed" text, "identityHash" text, "identityMasked" text)
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

export async function insertRegistration(db: Db, memberId: string, orgUnitId: string, requestedBy: string) {
  const row = await one<{ id: string }>(
    db,
    sql`insert into member_registrations (member_id, org_unit_id, status, requested_by)
        values (${memberId}, ${orgUnitId}, 'pending', ${requestedBy}) returning id`,
  )
  return (await findRegistration(db, row!.id))!
}

/** With the two paths that decide who may see and act on it: the member's home unit and the community. */
export interface RegistrationScopeRow extends Registration {
  homePath: string
  communityPath: string
}

/** The row as read (instants as PostgreSQL text, to the microsecond: created_at is also a keyset cursor). */
type RegistrationDbRow = RegistrationScopeRow & {
  createdAt: string
  decidedAt: string | null
  endedAt: string | null
}

function toRegistrationScope(r: RegistrationDbRow): RegistrationScopeRow {
  return {
    ...r,
    createdAt: formatInstant(r.createdAt),
    decidedAt: formatInstantOrNull(r.decidedAt),
    endedAt: formatInstantOrNull(r.endedAt),
  }
}

export async function findRegistration(db: Db, id: string) {
  const row = await one<RegistrationDbRow>(db, sql`${SELECT_REGISTRATION} where r.id = ${id}`)
  return row && toRegistrationScope(row)
}

const SELECT_REGISTRATION = sql`
  select r.id, r.member_id as "memberId", m.name as "memberName", m.org_unit_id as "homeUnitId",
         hu.name as "homeUnitName", r.org_unit_id as "orgUnitId", r.status,
         to_json(r.created_at)#>>'{}' as "createdAt", to_json(r.decided_at)#>>'{}' as "decidedAt",
         r.decline_reason as "declineReason", to_json(r.ended_at)#>>'{}' as "endedAt", r.end_reason as "endReason",
         hu.path as "homePath", cu.path as "communityPath"
    from member_registrations r
    join members m on m.id = r.member_id
    join org_units hu on hu.id = m.org_unit_id
    join org_units cu on cu.id = r.org_unit_id`

export async function listRegistrations(
  db: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<(Registration & { cursorAt: string })[]> {
  const conds = [...where]
  if (after) conds.push(sql`(r.created_at, r.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const found = await rows<RegistrationDbRow>(
    db,
    sql`${SELECT_REGISTRATION} ${conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``}
        order by r.created_at desc, r.id desc limit ${limit + 1}`,
  )
  return found.map((row) => {
    const { homePath: _h, communityPath: _c, ...registration } = toRegistrationScope(row)
    return { ...registration, cursorAt: row.createdAt }
  })
}

/** Moves a registration from one of `from` to `to`; false when it was no longer in such a state (a race lost). */
export async function setRegistrationStatus(
  db: Db,
  id: string,
  from: readonly RegistrationStatus[],
  to: { status: RegistrationStatus; by: string; reason: string | null },
): Promise<boolean> {
  const sets =
    to.status === 'ended'
      ? sql`status = 'ended', ended_at = now(), ended_by = ${to.by}, end_reason = ${to.reason}`
      : sql`status = ${to.status}, decided_at = now(), decided_by = ${to.by}, decline_reason = ${to.reason}`
  const updated = await rows<{ id: string }>(
    db,
    sql`update member_registrations set ${sets}
        where id = ${id} and status in (${sql.join(
          from.map((f) => sql`${f}`),
          sql`, `,
        )}) returning id`,
  )
  return updated.length === 1
}
