import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { formatInstant, formatInstantOrNull } from '../../shared/time'

const ts = (column: string) => sql.raw(`to_json(${column})#>>'{}'`)

export interface ResidentRow {
  id: string
  orgUnitId: string
  name: string
  phone: string | null
  username: string | null
  invitationId: string | null
  createdAt: string
  /** The community's path (scope checks); not answered. */
  path: string
}

// The login, if any, is the user whose resident_id is this resident (unique).
const SELECT_RESIDENT = sql`
  select r.id, r.org_unit_id as "orgUnitId", r.name, r.phone, usr.username, r.invitation_id as "invitationId",
         ${ts('r.created_at')} as "createdAt", u.path
  from residents r
  join org_units u on u.id = r.org_unit_id
  left join users usr on usr.resident_id = r.id`

const residentOf = (r: ResidentRow): ResidentRow => ({ ...r, createdAt: formatInstant(r.createdAt) })

export async function insertResident(
  tx: Db,
  r: {
    orgUnitId: string
    name: string
    phone: string | null
    invitationId: string | null
    createdBy: string | null
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into residents (org_unit_id, name, phone, invitation_id, created_by)
        values (${r.orgUnitId}, ${r.name}, ${r.phone}, ${r.invitationId}, ${r.createdBy}) returning id`,
  )
  return row!.id
}

export async function findResident(db: Db, id: string): Promise<ResidentRow | undefined> {
  const row = await one<ResidentRow>(db, sql`${SELECT_RESIDENT} where r.id = ${id}`)
  return row && residentOf(row)
}

export async function listResidents(
  db: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<ResidentRow[]> {
  const conds = [...where]
  if (after) conds.push(sql`(r.name, r.id) > (${after[0]}, ${after[1]}::uuid)`)
  const found = await rows<ResidentRow>(
    db,
    sql`${SELECT_RESIDENT} where ${sql.join(conds, sql` and `)} order by r.name, r.id limit ${limit + 1}`,
  )
  return found.map(residentOf)
}

export interface InvitationRow {
  id: string
  orgUnitId: string
  maxUses: number
  uses: number
  expiresAt: string
  revokedAt: string | null
  createdBy: string
  createdAt: string
  /** created_at as PostgreSQL writes it (the cursor), and the community's path (scope checks). */
  cursorAt: string
  path: string
}

const SELECT_INVITATION = sql`
  select i.id, i.org_unit_id as "orgUnitId", i.max_uses as "maxUses", i.uses,
         ${ts('i.expires_at')} as "expiresAt", ${ts('i.revoked_at')} as "revokedAt", i.created_by as "createdBy",
         ${ts('i.created_at')} as "createdAt", i.created_at::text as "cursorAt", u.path
  from resident_invitations i
  join org_units u on u.id = i.org_unit_id`

const invitationOf = (r: InvitationRow): InvitationRow => ({
  ...r,
  expiresAt: formatInstant(r.expiresAt),
  revokedAt: formatInstantOrNull(r.revokedAt),
  createdAt: formatInstant(r.createdAt),
})

/** A new invitation, or undefined when the code's hash is already taken (a new code is drawn then). */
export async function insertInvitation(
  tx: Db,
  i: { orgUnitId: string; codeHash: string; maxUses: number; expiresAt: Date; createdBy: string },
): Promise<string | undefined> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into resident_invitations (org_unit_id, code_hash, max_uses, expires_at, created_by)
        values (${i.orgUnitId}, ${i.codeHash}, ${i.maxUses}, ${i.expiresAt.toISOString()}::timestamptz, ${i.createdBy})
        on conflict (code_hash) do nothing returning id`,
  )
  return row?.id
}

export async function findInvitation(db: Db, id: string, lock = false): Promise<InvitationRow | undefined> {
  const row = await one<InvitationRow>(
    db,
    sql`${SELECT_INVITATION} where i.id = ${id} ${lock ? sql`for update of i` : sql``}`,
  )
  return row && invitationOf(row)
}

export async function listInvitations(
  db: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<InvitationRow[]> {
  const conds = [...where]
  if (after) conds.push(sql`(i.created_at, i.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const found = await rows<InvitationRow>(
    db,
    sql`${SELECT_INVITATION} where ${sql.join(conds, sql` and `)}
        order by i.created_at desc, i.id desc limit ${limit + 1}`,
  )
  return found.map(invitationOf)
}

export async function revokeInvitation(tx: Db, id: string): Promise<void> {
  await tx.execute(sql`update resident_invitations set revoked_at = now() where id = ${id}`)
}

/** An invitation that still admits a registration: not revoked, not expired, not used up. */
const usable = sql`uses < max_uses and revoked_at is null and expires_at > now()`

/** Whether a code's invitation would admit a registration now (a cheap look before the password is hashed). */
export async function isUsable(db: Db, codeHash: string): Promise<boolean> {
  return (
    (await one(db, sql`select 1 from resident_invitations where code_hash = ${codeHash} and ${usable}`)) !==
    undefined
  )
}

/**
 * Takes one use of the invitation in ONE conditional UPDATE: of racing registrations only as many as the
 * invitation has uses left get a row (the others re-read the row after the winner commits and find it used up).
 */
export async function takeUse(tx: Db, codeHash: string) {
  return one<{ id: string; orgUnitId: string }>(
    tx,
    sql`update resident_invitations set uses = uses + 1 where code_hash = ${codeHash} and ${usable}
        returning id, org_unit_id as "orgUnitId"`,
  )
}
