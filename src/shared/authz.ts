import { type SQL, sql } from 'drizzle-orm'
import { type Db, one } from '../db/client'
import type { Role } from '../db/schema/identity'
import { forbidden, notFound } from './errors'

export interface Grant {
  id: string
  role: Role
  orgUnitId: string
  /** Materialised path of the granted unit: the grant covers every unit whose path starts with it. */
  path: string
}

/** Who is calling, as every service sees it. Built by the auth plugin from the token and the database. */
export interface Caller {
  userId: string
  username: string
  /** The member record linked to this user, if any (a member sees their own records). */
  memberId: string | null
  /**
   * The resident (群众, issue 18) this login belongs to, if any: a resident's login, never also a member's. A
   * resident holds the `resident` grant on their community and is no member: every member-only operation
   * refuses them as it refuses staff without a member record.
   */
  residentId: string | null
  grants: Grant[]
}

/**
 * Every authorisation decision goes through these few functions, so the rules live in one place:
 * - a role an operation never allows is 403 `forbidden` (requireRole);
 * - an object outside every matching grant's subtree is 404 `not_found`, exactly as if it did not exist.
 * `admin` counts as every role.
 */
export function hasRole(caller: Caller, roles: readonly Role[]): boolean {
  return caller.grants.some((g) => g.role === 'admin' || roles.includes(g.role))
}

export function requireRole(caller: Caller, roles: readonly Role[]): void {
  if (!hasRole(caller, roles)) throw forbidden()
}

export function isAdmin(caller: Caller): boolean {
  return caller.grants.some((g) => g.role === 'admin')
}

/** The paths under which the caller holds one of `roles` (admin grants included). */
export function scopePaths(caller: Caller, roles: readonly Role[]): string[] {
  const paths = caller.grants.filter((g) => g.role === 'admin' || roles.includes(g.role)).map((g) => g.path)
  // Drop paths inside another path of the list: fewer LIKE terms, same coverage.
  return paths.filter((p, i) => !paths.some((q, j) => j !== i && p !== q && p.startsWith(q)))
}

export function coversPath(caller: Caller, path: string, roles: readonly Role[]): boolean {
  return caller.grants.some((g) => (g.role === 'admin' || roles.includes(g.role)) && path.startsWith(g.path))
}

/**
 * SQL condition "pathExpr lies inside one of the caller's subtrees for these roles", for list queries.
 * Uses the text_pattern_ops index on org_units.path.
 */
export function pathInScope(pathExpr: ReturnType<typeof sql>, caller: Caller, roles: readonly Role[]) {
  const paths = scopePaths(caller, roles)
  if (paths.length === 0) return sql`false`
  return sql`(${sql.join(
    paths.map((p) => sql`${pathExpr} like ${`${p}%`}`),
    sql` or `,
  )})`
}

export interface UnitRow {
  id: string
  parentId: string | null
  kind: string
  name: string
  path: string
}

export async function findUnit(db: Db, unitId: string): Promise<UnitRow | undefined> {
  return one<UnitRow>(
    db,
    sql`select id, parent_id as "parentId", kind, name, path from org_units where id = ${unitId}`,
  )
}

/** The unit, if the caller holds one of `roles` over it; else 404 (403 if no such role anywhere). */
export async function requireUnitInScope(db: Db, caller: Caller, unitId: string, roles: readonly Role[]) {
  requireRole(caller, roles)
  const unit = await findUnit(db, unitId)
  if (!unit || !coversPath(caller, unit.path, roles)) throw notFound('org unit')
  return unit
}

/** Unit kinds a member reads as their own (亮积分 standings): their branch and the units below it. */
const MEMBER_READABLE_KINDS: readonly string[] = ['branch', 'grid', 'microgrid']

/**
 * A unit read by staff or by its own members (the branch's standings): as `staff` when the caller holds one of
 * `roles` over it, else as `member` when the caller's home unit lies in it and it is a branch or below (or is the
 * home unit itself): a member reads their own branch, never a community or a city, nor another branch. Otherwise
 * 404, as for an unknown unit; 403 for a caller with neither such a role nor a member record.
 */
export async function requireUnitForStaffOrMember(
  db: Db,
  caller: Caller,
  unitId: string,
  roles: readonly Role[],
): Promise<{ unit: UnitRow; as: 'staff' | 'member' }> {
  if (!hasRole(caller, roles) && !caller.memberId) throw forbidden()
  const unit = await findUnit(db, unitId)
  if (unit && coversPath(caller, unit.path, roles)) return { unit, as: 'staff' }
  if (unit && caller.memberId) {
    const home = await one<{ path: string }>(
      db,
      sql`select u.path from members m join org_units u on u.id = m.org_unit_id where m.id = ${caller.memberId}`,
    )
    if (
      home?.path.startsWith(unit.path) &&
      (MEMBER_READABLE_KINDS.includes(unit.kind) || home.path === unit.path)
    )
      return { unit, as: 'member' }
  }
  throw notFound('org unit')
}

export interface VisibleMember {
  id: string
  orgUnitId: string
  name: string
  path: string
}

/**
 * The member, if the caller may see them: they are the caller's own member record (when `allowSelf`),
 * or their home unit or a community they registered with (双报到) lies in a subtree where the caller
 * holds one of `roles`. Otherwise 404, whether or not the member exists.
 */
export async function requireMemberVisible(
  db: Db,
  caller: Caller,
  memberId: string,
  roles: readonly Role[],
  opts: { allowSelf?: boolean } = { allowSelf: true },
): Promise<VisibleMember> {
  assertMayAskForMember(caller, memberId, roles, opts)
  const row = await one<MemberScopeRow>(db, memberScopeRow(memberId))
  return checkMemberVisible(caller, memberId, row, roles, opts)
}

/** The member with every path that puts them in someone's scope: home unit and 双报到 registrations. */
export interface MemberScopeRow extends VisibleMember {
  regPaths: string[] | null
}

export function memberScopeRow(memberId: string): SQL {
  return sql`select m.id, m.org_unit_id as "orgUnitId", m.name, u.path,
          (select array_agg(s.path) from member_served_communities s where s.member_id = m.id) as "regPaths"
        from members m join org_units u on u.id = m.org_unit_id where m.id = ${memberId}`
}

/**
 * SQL condition "the member (an expression yielding a member id) serves a community whose path satisfies
 * `pathCondition` through an accepted 双报到 registration". Which registrations count is defined once, by the
 * view member_served_communities (src/db/sql/members.sql): a pending, declined or ended one puts nobody in scope.
 */
export function registeredWhere(memberIdExpr: SQL, pathCondition: (path: SQL) => SQL): SQL {
  return sql`exists (select 1 from member_served_communities served
                     where served.member_id = ${memberIdExpr} and ${pathCondition(sql`served.path`)})`
}

/**
 * SQL condition "the caller may see the member `memberIdExpr`", the same rule as requireMemberVisible (self when
 * `allowSelf`, home unit or, unless `homeOnly`, an accepted 双报到 community in the caller's subtrees for
 * `roles`), for reading an object and checking its scope in one statement: the answer about an object
 * outside the caller's scope then takes the same path, and the same time, as about one that does not exist.
 */
export function memberVisibleWhere(
  memberIdExpr: SQL,
  caller: Caller,
  roles: readonly Role[],
  opts: { allowSelf?: boolean; homeOnly?: boolean } = {},
): SQL {
  const terms: SQL[] = []
  if (opts.allowSelf !== false && caller.memberId) terms.push(sql`${memberIdExpr} = ${caller.memberId}::uuid`)
  if (scopePaths(caller, roles).length > 0) {
    const inScope = (path: SQL) => pathInScope(path, caller, roles)
    terms.push(sql`exists (select 1 from members vis_m join org_units vis_u on vis_u.id = vis_m.org_unit_id
                           where vis_m.id = ${memberIdExpr} and ${inScope(sql`vis_u.path`)})`)
    if (!opts.homeOnly) terms.push(registeredWhere(memberIdExpr, inScope))
  }
  return terms.length ? sql`(${sql.join(terms, sql` or `)})` : sql`false`
}

/**
 * The member, if the caller may act on them from the home side: they are the caller's own member record (when
 * `allowSelf`) or their home unit lies in a subtree where the caller holds one of `roles`. A 双报到
 * registration does not count: it lets a community see a member, never act for the member's home (logins,
 * new registrations). Otherwise 404, exactly as for an id that does not exist (one statement either way).
 */
export async function requireMemberAtHome(
  db: Db,
  caller: Caller,
  memberId: string,
  roles: readonly Role[],
  opts: { allowSelf?: boolean } = { allowSelf: true },
): Promise<VisibleMember> {
  assertMayAskForMember(caller, memberId, roles, opts)
  const row = await one<MemberScopeRow>(db, memberScopeRow(memberId))
  return checkMemberVisible(caller, memberId, row && { ...row, regPaths: null }, roles, opts)
}

/** The part of requireMemberVisible that needs no row: a plain member asking for someone else. */
export function assertMayAskForMember(
  caller: Caller,
  memberId: string,
  roles: readonly Role[],
  opts: { allowSelf?: boolean } = { allowSelf: true },
): void {
  const self = opts.allowSelf !== false && caller.memberId === memberId
  if (!self && !hasRole(caller, roles)) {
    // A plain member asking for someone else: not theirs to know it exists.
    if (caller.memberId) throw notFound('member')
    throw forbidden()
  }
}

/** requireMemberVisible on a memberScopeRow read elsewhere (in one statement with other reads). */
export function checkMemberVisible(
  caller: Caller,
  memberId: string,
  row: MemberScopeRow | undefined | null,
  roles: readonly Role[],
  opts: { allowSelf?: boolean } = { allowSelf: true },
): VisibleMember {
  assertMayAskForMember(caller, memberId, roles, opts)
  if (!row) throw notFound('member')
  const self = opts.allowSelf !== false && caller.memberId === memberId
  if (self) return { id: row.id, orgUnitId: row.orgUnitId, name: row.name, path: row.path }
  const paths = [row.path, ...(row.regPaths ?? [])]
  if (!paths.some((p) => coversPath(caller, p, roles))) throw notFound('member')
  return { id: row.id, orgUnitId: row.orgUnitId, name: row.name, path: row.path }
}
