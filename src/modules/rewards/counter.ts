import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { rows } from '../../db/client'
import { type Caller, requireUnitInScope } from '../../shared/authz'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { maskPhone } from '../../shared/mask'
import { availableCentsOf } from '../ledger'
import { memberInCommunity } from './repo'
import { COUNTER_LOOKUP_ROWS, type CounterMembers, type CounterMembersQuery } from './schemas'

/** Who works the counter: the clerks, as createRedemption (admin counts as every role). */
const CLERK = ['clerk'] as const

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The redemption counter's lookup: a clerk over the community finds a member to redeem for by name, phone (whole
 * or its last 4 digits) or member code, among exactly the members createRedemption lets them serve there: those
 * in that community's catalogue (memberInCommunity: home unit inside it, or an accepted 双报到 registration
 * with it). Not the roster: at most COUNTER_LOOKUP_ROWS rows of name, masked phone, home unit and available
 * points, never the phone or the identity document. A read, so not audited (as no read of members is).
 */
export async function findMembersAtCounter(
  db: Db,
  caller: Caller,
  query: CounterMembersQuery,
): Promise<CounterMembers> {
  const unit = await requireUnitInScope(db, caller, query.orgUnitId, CLERK)
  const q = query.q.trim()
  const digits = q.replace(/[\s-]/g, '')
  const like = q.replace(/[\\%_]/g, '\\$&')
  // Exact keys (a phone, its last 4 digits, the member code) before names; names starting with q first.
  const exact: SQL[] = []
  if (/^\d{4,}$/.test(digits)) {
    const phone = sql`regexp_replace(coalesce(cm.phone, ''), '[\\s-]', '', 'g')`
    exact.push(digits.length === 4 ? sql`right(${phone}, 4) = ${digits}` : sql`${phone} = ${digits}`)
  }
  if (UUID.test(q)) exact.push(sql`cm.id = ${q.toLowerCase()}::uuid`)
  const isExact = exact.length ? sql`(${sql.join(exact, sql` or `)})` : sql`false`
  const found = await rows<{
    id: string
    name: string
    phone: string | null
    homeUnitName: string
    available: string | null
  }>(
    db,
    // cm, not m: memberInCommunity's own subquery names its members m.
    sql`select cm.id, cm.name, cm.phone, u.name as "homeUnitName", ${availableCentsOf(sql`cm.id`)} as available
        from members cm join org_units u on u.id = cm.org_unit_id
        where (${isExact} or cm.name ilike ${`%${like}%`})
          and ${memberInCommunity(sql`cm.id`, sql`${unit.path}::text`)}
        order by ${exact.length ? sql`${isExact} desc, ` : sql``}(cm.name ilike ${`${like}%`}) desc, cm.name, cm.id
        limit ${COUNTER_LOOKUP_ROWS + 1}`,
  )
  return {
    items: found.slice(0, COUNTER_LOOKUP_ROWS).map((m) => ({
      id: m.id,
      name: m.name,
      maskedPhone: maskPhone(m.phone),
      homeUnitName: m.homeUnitName,
      availablePoints: formatCents(centsFromDb(m.available)),
    })),
    more: found.length > COUNTER_LOOKUP_ROWS,
  }
}
