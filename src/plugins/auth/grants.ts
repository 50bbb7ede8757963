import { type Db, prepared } from '../../db/client'
import type { Role } from '../../db/schema/identity'
import type { Caller, Grant } from '../../shared/authz'

/** One row per grant of an enabled user (one row with null grant columns for a user without any). */
export interface GrantRow {
  userId: string
  username: string
  memberId: string | null
  residentId: string | null
  grantId: string | null
  role: Role | null
  orgUnitId: string | null
  path: string | null
}

const GRANT_COLUMNS = `u.id as "userId", u.username, u.member_id as "memberId",
                    u.resident_id as "residentId", g.id as "grantId", g.role,
                    g.org_unit_id as "orgUnitId", o.path
             from users u
             left join role_grants g on g.user_id = u.id
             left join org_units o on o.id = g.org_unit_id`
// One user, on a miss; several (ids joined by commas, the same text on pg and PGlite) in the background.
// Named statements (see `prepared`).
const GRANTS_STATEMENT = {
  name: 'auth_caller_grants',
  text: `select ${GRANT_COLUMNS} where u.id = $1::uuid and u.disabled_at is null`,
}
const MANY_GRANTS_STATEMENT = {
  name: 'auth_callers_grants',
  text: `select ${GRANT_COLUMNS}
             where u.id = any(string_to_array($1::text, ',')::uuid[]) and u.disabled_at is null`,
}

/** Callers of the rows of one or more users (rows of one user together, as the join returns them). */
export function callersOf(rows: GrantRow[]): Map<string, Caller> {
  const out = new Map<string, Caller>()
  for (const r of rows) {
    let caller = out.get(r.userId)
    if (!caller) {
      caller = {
        userId: r.userId,
        username: r.username,
        memberId: r.memberId,
        residentId: r.residentId,
        grants: [],
      }
      out.set(r.userId, caller)
    }
    if (r.grantId) {
      caller.grants.push({
        id: r.grantId,
        role: r.role!,
        orgUnitId: r.orgUnitId!,
        path: r.path!,
      } satisfies Grant)
    }
  }
  return out
}

/** Reads callers (user and grants) from the database; a disabled or unknown user has none. */
export interface CallerLoader {
  one(userId: string): Promise<Caller | null>
  /** Every caller of `userIds` that exists and is enabled, in one statement. */
  many(userIds: string[]): Promise<Map<string, Caller>>
}

export function grantsLoader(db: Db): CallerLoader {
  return {
    one: async (userId) =>
      callersOf(await prepared<GrantRow>(db, GRANTS_STATEMENT, [userId])).get(userId) ?? null,
    many: async (userIds) =>
      callersOf(await prepared<GrantRow>(db, MANY_GRANTS_STATEMENT, [userIds.join(',')])),
  }
}
