import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { Role } from '../../db/schema/identity'
import { formatInstant } from '../../shared/time'

const ts = (column: string) => sql.raw(`to_json(${column})#>>'{}'`)

export async function findLoginUser(db: Db, username: string) {
  return one<{ id: string; passwordHash: string; disabled: boolean }>(
    db,
    sql`select id, password_hash as "passwordHash", disabled_at is not null as disabled from users where username = ${username}`,
  )
}

/** The resident a login belongs to (users.resident_id), as getMe shows it. */
export async function findResidentSummary(db: Db, residentId: string) {
  return one<{ id: string; name: string; orgUnitId: string }>(
    db,
    sql`select id, name, org_unit_id as "orgUnitId" from residents where id = ${residentId}`,
  )
}

export async function insertUser(
  db: Db,
  u: {
    username: string
    passwordHash: string
    memberId: string | null
    residentId?: string | null
    createdBy: string | null
  },
) {
  const row = (await one<{ id: string; createdAt: string }>(
    db,
    sql`insert into users (username, password_hash, member_id, resident_id, created_by)
        values (${u.username}, ${u.passwordHash}, ${u.memberId}, ${u.residentId ?? null}, ${u.createdBy})
        returning id, ${ts('created_at')} as "createdAt"`,
  ))!
  return { id: row.id, createdAt: formatInstant(row.createdAt) }
}

/**
 * Locks the user row if `scope` (a condition on `usr`, e.g. userInScope; none: any user) holds: grants to one
 * user are decided one at a time. Scope and existence are one read, so both misses look and take alike.
 */
export async function lockUser(db: Db, userId: string, scope: SQL = sql`true`) {
  return one<{ id: string; memberId: string | null }>(
    db,
    sql`select usr.id, usr.member_id as "memberId" from users usr where usr.id = ${userId} and ${scope}
        for update of usr`,
  )
}

export async function grantsOf(db: Db, userId: string) {
  return rows<{ id: string; role: Role; orgUnitId: string }>(
    db,
    sql`select id, role, org_unit_id as "orgUnitId" from role_grants where user_id = ${userId} order by created_at, id`,
  )
}

export async function insertGrant(
  db: Db,
  userId: string,
  role: Role,
  orgUnitId: string,
  grantedBy: string | null,
) {
  const row = (await one<{ id: string; createdAt: string }>(
    db,
    sql`insert into role_grants (user_id, role, org_unit_id, granted_by) values (${userId}, ${role}, ${orgUnitId}, ${grantedBy})
        returning id, ${ts('created_at')} as "createdAt"`,
  ))!
  return { id: row.id, createdAt: formatInstant(row.createdAt) }
}

export async function lockGrant(db: Db, userId: string, grantId: string) {
  return one<{ id: string; role: Role; orgUnitId: string }>(
    db,
    sql`select id, role, org_unit_id as "orgUnitId" from role_grants where id = ${grantId} and user_id = ${userId} for update`,
  )
}

export async function deleteGrant(db: Db, grantId: string): Promise<void> {
  await db.execute(sql`delete from role_grants where id = ${grantId}`)
}

/** Admin grants of enabled users other than this one, counted under a lock so two revocations serialise. */
export async function otherAdminGrants(db: Db, grantId: string): Promise<number> {
  await db.execute(sql`select pg_advisory_xact_lock(727003)`)
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from role_grants g join users u on u.id = g.user_id
        where g.role = 'admin' and g.id <> ${grantId} and u.disabled_at is null`,
  )
  return Number(row?.n ?? 0)
}

interface UserRow {
  id: string
  username: string
  memberId: string | null
  roles: { id: string; role: Role; orgUnitId: string }[]
  createdAt: string
}

// Raw SQL: the grants as one json_agg, and userInScope / userInside written against the alias usr.
const SELECT_USER = sql`
  select usr.id, usr.username, usr.member_id as "memberId", ${ts('usr.created_at')} as "createdAt",
    coalesce((select json_agg(json_build_object('id', g.id, 'role', g.role, 'orgUnitId', g.org_unit_id)
                order by g.created_at, g.id)
              from role_grants g where g.user_id = usr.id), '[]'::json) as roles
  from users usr`

/**
 * Users with a grant or a linked member's home unit where `pathCondition` holds: a filter (listUsers'
 * orgUnitId), not a scope check (that is userInScope).
 */
export function userInside(pathCondition: (path: SQL) => SQL) {
  return sql`(exists (select 1 from role_grants g join org_units o on o.id = g.org_unit_id
                      where g.user_id = usr.id and ${pathCondition(sql`o.path`)})
           or exists (select 1 from members m join org_units o on o.id = m.org_unit_id
                      where m.id = usr.member_id and ${pathCondition(sql`o.path`)}))`
}

/**
 * The users a secretary administers (security issue 15): their linked member's home unit lies in the caller's
 * subtrees (a 双报到 registration does not count), or every grant they hold does, or, holding none and linked to
 * no member, the caller created them. A user with one grant elsewhere (another community's secretary, the admin)
 * is nobody's to see or change but an admin's. `inScope` is the caller's path condition for the granting roles.
 */
export function userInScope(inScope: (path: SQL) => SQL, callerUserId: string) {
  return sql`(exists (select 1 from members m join org_units o on o.id = m.org_unit_id
                      where m.id = usr.member_id and ${inScope(sql`o.path`)})
           or (not exists (select 1 from role_grants g join org_units o on o.id = g.org_unit_id
                           where g.user_id = usr.id and not ${inScope(sql`o.path`)})
               and (exists (select 1 from role_grants g where g.user_id = usr.id)
                    or (usr.member_id is null and usr.created_by = ${callerUserId}))))`
}

export async function listUsers(
  db: Db,
  where: ReturnType<typeof sql>[],
  after: [string, string] | undefined,
  limit: number,
): Promise<UserRow[]> {
  const conds = [...where]
  if (after) conds.push(sql`(usr.username, usr.id) > (${after[0]}, ${after[1]}::uuid)`)
  const clause = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``
  const found = await rows<UserRow>(
    db,
    sql`${SELECT_USER} ${clause} order by usr.username, usr.id limit ${limit + 1}`,
  )
  return found.map((u) => ({ ...u, createdAt: formatInstant(u.createdAt) }))
}
