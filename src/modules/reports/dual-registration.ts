import { sql } from 'drizzle-orm'
import { type Db, rows } from '../../db/client'
import { type Caller, requireUnitInScope } from '../../shared/authz'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { IDENTITY_TYPES } from '../members'
import { type PageOpts, REPORT_ROLES, type ReportPage } from './domain'
import type { DualRegistrationItem, DualRegistrationQuery } from './dual-registration-schemas'
import { checkPeriod } from './service'

/**
 * 双报告: what in-service members of the home side did in the residential communities they registered with
 * (双报到), for the form that goes back to their own party organisation each quarter.
 *
 * One row per member and registration that was accepted at some time and overlaps the period (a registration
 * ended during the quarter still reports what was done before it ended). Counted, in the period (service-zone
 * dates, both included, either open; until the registration ended): verified hours at activities of the community's subtree (at their current,
 * possibly corrected, figure; verified_service_hours), service requests of that subtree the member completed and
 * the resident confirmed, with the residents' ratings; and the claims whose evidence is that work (claim_evidence:
 * not withdrawn; posted ones with the points awarded).
 */
interface Row {
  registrationId: string
  memberId: string
  memberName: string
  identityType: keyof typeof IDENTITY_TYPES | null
  identityMasked: string | null
  workUnit: string | null
  homeUnitId: string
  homeUnitName: string
  communityId: string
  communityName: string
  registeredAt: string
  endedAt: string | null
  activities: string
  activityHours: string | null
  serviceRequests: string
  serviceRequestHours: string | null
  ratingSum: string | null
  claims: string
  claimsPosted: string
  points: string | null
}

async function dualRegistrationRows(
  db: Db,
  unitPath: string,
  period: { from: string | null; to: string | null },
  after: [string, string, string] | undefined,
  limit: number | null,
): Promise<Row[]> {
  const { from, to } = period
  const inPeriod = (col: ReturnType<typeof sql>) =>
    sql`(${from}::date is null or ${col} >= ${from}::date) and (${to}::date is null or ${col} < ${to}::date + 1)`
  return rows<Row>(
    db,
    sql`with reg as materialized (
          select r.id, r.member_id, r.org_unit_id as community_id, cu.path as community_path, cu.name as community_name,
                 r.decided_at, r.ended_at, m.name as member_name, m.identity_type, m.identity_masked, m.work_unit,
                 m.org_unit_id as home_unit_id, hu.name as home_unit_name
          from member_registrations r
          join members m on m.id = r.member_id
          join org_units hu on hu.id = m.org_unit_id
          join org_units cu on cu.id = r.org_unit_id
          where hu.path like ${`${unitPath}%`} and r.decided_at is not null and r.status in ('accepted', 'ended')
            and (${to}::date is null or r.decided_at < ${to}::date + 1)
            and (${from}::date is null or r.ended_at is null or r.ended_at >= ${from}::date)
            ${
              after
                ? sql`and (m.name, m.id, r.id) > (${after[0]}::text, ${after[1]}::uuid, ${after[2]}::uuid)`
                : sql``
            }
          order by m.name, m.id, r.id
          ${limit === null ? sql`` : sql`limit ${limit}`}),
        work as (
          select reg.id as reg_id, v.source, v.source_id, v.hours_cents
          from reg
          join verified_service_hours v on v.member_id = reg.member_id
          join org_units au on au.id = v.org_unit_id
          where au.path like reg.community_path || '%' and v.hours_cents > 0 and ${inPeriod(sql`v.occurred_at`)}
            and (reg.ended_at is null or v.occurred_at < reg.ended_at)),
        claimed as (
          select distinct w.reg_id, c.id, c.status, c.awarded
          from work w
          join reg on reg.id = w.reg_id
          join claim_evidence ce on ce.member_id = reg.member_id and ce.ref_kind = w.source and ce.ref_id = w.source_id
          join claims c on c.id = ce.claim_id
          where c.status <> 'withdrawn')
        select reg.id as "registrationId", reg.member_id as "memberId", reg.member_name as "memberName",
               reg.identity_type as "identityType", reg.identity_masked as "identityMasked", reg.work_unit as "workUnit",
               reg.home_unit_id as "homeUnitId", reg.home_unit_name as "homeUnitName",
               reg.community_id as "communityId", reg.community_name as "communityName",
               to_json(reg.decided_at)#>>'{}' as "registeredAt", to_json(reg.ended_at)#>>'{}' as "endedAt",
               (select count(*) from work w where w.reg_id = reg.id and w.source = 'activity') as activities,
               (select sum(w.hours_cents) from work w where w.reg_id = reg.id and w.source = 'activity') as "activityHours",
               (select count(*) from work w where w.reg_id = reg.id and w.source = 'service_request') as "serviceRequests",
               (select sum(w.hours_cents) from work w where w.reg_id = reg.id and w.source = 'service_request')
                 as "serviceRequestHours",
               (select sum(s.rating) from work w join service_requests s on s.id = w.source_id
                 where w.reg_id = reg.id and w.source = 'service_request') as "ratingSum",
               (select count(*) from claimed c where c.reg_id = reg.id) as claims,
               (select count(*) from claimed c where c.reg_id = reg.id and c.status = 'posted') as "claimsPosted",
               (select sum(c.awarded) from claimed c where c.reg_id = reg.id and c.status = 'posted') as points
        from reg order by reg.member_name, reg.member_id, reg.id`,
  )
}

/** Mean rating to 2 decimals, half up, in integer arithmetic ("4.67"). */
function meanRating(sum: number, n: number): string | null {
  if (n === 0) return null
  const hundredths = Math.floor((sum * 200 + n) / (2 * n))
  return formatCents(hundredths)
}

function toItem(r: Row): DualRegistrationItem {
  const activityHours = centsFromDb(r.activityHours)
  const requestHours = centsFromDb(r.serviceRequestHours)
  const requests = Number(r.serviceRequests)
  return {
    registrationId: r.registrationId,
    memberId: r.memberId,
    memberName: r.memberName,
    identityDocument:
      r.identityType && r.identityMasked ? { type: r.identityType, maskedNumber: r.identityMasked } : null,
    workUnit: r.workUnit,
    homeUnitId: r.homeUnitId,
    homeUnitName: r.homeUnitName,
    communityId: r.communityId,
    communityName: r.communityName,
    registeredAt: formatInstant(r.registeredAt),
    endedAt: formatInstantOrNull(r.endedAt),
    activities: Number(r.activities),
    activityHours: formatCents(activityHours),
    serviceRequests: requests,
    serviceRequestHours: formatCents(requestHours),
    hours: formatCents(activityHours + requestHours),
    averageRating: meanRating(Number(r.ratingSum ?? 0), requests),
    claims: Number(r.claims),
    claimsPosted: Number(r.claimsPosted),
    points: formatCents(centsFromDb(r.points)),
  }
}

/** The home side's secretaries over `orgUnitId` (admin too); other units 404. */
export async function getDualRegistrationReport(
  db: Db,
  caller: Caller,
  q: DualRegistrationQuery,
  opts: PageOpts = {},
): Promise<ReportPage<DualRegistrationItem> & { unitName: string }> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const from = q.from ?? null
  const to = q.to ?? null
  checkPeriod(from, to)
  const limit = opts.all ? null : pageLimit(q.limit)
  const after = opts.all ? undefined : decodeCursor(q.cursor, ['text', 'uuid', 'uuid'])
  const fetched = await dualRegistrationRows(
    db,
    unit.path,
    { from, to },
    after as [string, string, string] | undefined,
    limit === null ? null : limit + 1,
  )
  const page = toPage(
    fetched,
    limit ?? fetched.length,
    (r) => [r.memberName, r.memberId, r.registrationId],
    toItem,
  )
  return { ...page, unitName: unit.name }
}
