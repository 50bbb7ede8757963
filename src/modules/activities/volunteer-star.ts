import { sql } from 'drizzle-orm'
import { type Db, one } from '../../db/client'
import { centsFromDb } from '../../shared/decimal'
import { DEFAULT_VOLUNTEER_STARS, type VolunteerStar, volunteerStarFor, volunteerStarsAt } from '../org'

export interface VolunteerStanding {
  /** Every verified hour the member has (all years, all units, corrections applied), in hundredths. */
  hoursCents: number
  /** The highest 志愿者星级 those hours reach under the stars in force at the member's home unit; null: none yet. */
  volunteerStar: string | null
}

/**
 * A member's volunteer star, in one statement: their cumulative verified hours (verified_service_hours, the one
 * definition of hours, read through the participations' and requests' member indexes) and the stars their home
 * unit inherits. For the balance answer and certificates. Unknown member: zero hours, no star.
 */
export async function volunteerStandingOf(db: Db, memberId: string): Promise<VolunteerStanding> {
  const row = await one<{ hours: string | null; stars: VolunteerStar[] | null }>(
    db,
    sql`select (select sum(v.hours_cents) from verified_service_hours v where v.member_id = m.id) as hours,
               ${volunteerStarsAt(sql`u.path`)} as stars
        from members m join org_units u on u.id = m.org_unit_id where m.id = ${memberId}`,
  )
  const hoursCents = centsFromDb(row?.hours ?? null)
  return { hoursCents, volunteerStar: volunteerStarFor(hoursCents, row?.stars ?? DEFAULT_VOLUNTEER_STARS) }
}
