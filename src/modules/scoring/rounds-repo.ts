import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { RoundStatus } from '../../db/schema/scoring'
import { type Aggregation, type Cents, centsFromDb } from '../../shared/decimal'
import { asDate, asDateOrNull } from './claims-repo'

export interface RoundRow {
  id: string
  orgUnitId: string
  path: string
  rubricId: string
  periodStart: string
  periodEnd: string
  quorum: number
  aggregation: Aggregation
  publicityDays: number | null
  divergenceThreshold: Cents | null
  status: RoundStatus
  closedAt: Date | null
  publicityEndsAt: Date | null
  finalizedAt: Date | null
  createdAt: Date
  createdKey: string
  panelUserIds: string[]
  claimCount: number
}

const ROUND_SELECT = sql`select r.id, r.org_unit_id as "orgUnitId", u.path, r.rubric_id as "rubricId",
    to_char(r.period_start, 'YYYY-MM-DD') as "periodStart", to_char(r.period_end, 'YYYY-MM-DD') as "periodEnd",
    r.quorum, r.aggregation, r.publicity_days as "publicityDays", r.divergence_threshold as "divergenceThreshold",
    r.status, r.closed_at as "closedAt", r.publicity_ends_at as "publicityEndsAt",
    r.finalized_at as "finalizedAt", r.created_at as "createdAt", r.created_at::text as "createdKey",
    array(select p.user_id::text from round_panelists p where p.round_id = r.id order by p.user_id) as "panelUserIds",
    (select count(*) from claims c where c.round_id = r.id)::int as "claimCount"
  from scoring_rounds r join org_units u on u.id = r.org_unit_id`

type RawRound = RoundRow & { divergenceThreshold: string | null }

function toRound(r: RawRound): RoundRow {
  return {
    ...r,
    divergenceThreshold: r.divergenceThreshold === null ? null : centsFromDb(r.divergenceThreshold),
    closedAt: asDateOrNull(r.closedAt),
    publicityEndsAt: asDateOrNull(r.publicityEndsAt),
    finalizedAt: asDateOrNull(r.finalizedAt),
    createdAt: asDate(r.createdAt),
  }
}

export async function findRound(
  db: Db,
  id: string,
  lock?: 'update' | 'share',
): Promise<RoundRow | undefined> {
  const r = await one<RawRound>(
    db,
    sql`${ROUND_SELECT} where r.id = ${id}
        ${lock === 'update' ? sql`for update of r` : lock === 'share' ? sql`for share of r` : sql``}`,
  )
  return r && toRound(r)
}

export async function listRoundRows(
  db: Db,
  where: SQL,
  cursor: (string | number)[] | undefined,
  limit: number,
): Promise<RoundRow[]> {
  const after = cursor
    ? sql`and (r.created_at, r.id) < (${cursor[0]}::timestamptz, ${cursor[1]}::uuid)`
    : sql``
  const found = await rows<RawRound>(
    db,
    sql`${ROUND_SELECT} where ${where} ${after} order by r.created_at desc, r.id desc limit ${limit + 1}`,
  )
  return found.map(toRound)
}

export async function insertRound(
  db: Db,
  r: {
    orgUnitId: string
    rubricId: string
    periodStart: string
    periodEnd: string
    quorum: number
    aggregation: Aggregation
    publicityDays: number | null
    divergenceThreshold: Cents | null
    createdBy: string
    panelUserIds: string[]
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into scoring_rounds (org_unit_id, rubric_id, period_start, period_end, quorum, aggregation,
          publicity_days, divergence_threshold, created_by)
        values (${r.orgUnitId}, ${r.rubricId}, ${r.periodStart}, ${r.periodEnd}, ${r.quorum}, ${r.aggregation},
          ${r.publicityDays}, ${r.divergenceThreshold}, ${r.createdBy})
        returning id`,
  )
  const id = row!.id
  await db.execute(
    sql`insert into round_panelists (round_id, user_id)
        values ${sql.join(
          r.panelUserIds.map((u) => sql`(${id}::uuid, ${u}::uuid)`),
          sql`, `,
        )}`,
  )
  return id
}

/**
 * Takes the branch's submitted claims of the period into the round. The conditional UPDATE is what makes
 * this race-proof: a claim another round took in meanwhile no longer matches `round_id is null` when its
 * row lock is released, so each claim lands in exactly one round.
 */
export async function takeInClaims(
  db: Db,
  roundId: string,
  p: { rubricId: string; branchPath: string; periodStart: string; periodEnd: string },
): Promise<number> {
  const taken = await rows(
    db,
    sql`update claims c set status = 'scoring', round_id = ${roundId}, updated_at = now()
        from org_units u
        where u.id = c.org_unit_id and c.status = 'submitted' and c.round_id is null
          and c.rubric_id = ${p.rubricId} and u.path like ${`${p.branchPath}%`}
          and c.occurred_on between ${p.periodStart} and ${p.periodEnd}
          -- A claim nobody on this panel may score (its member is the only panelist) waits for another round.
          and exists (select 1 from round_panelists rp where rp.round_id = ${roundId}
                        and not exists (select 1 from users us where us.id = rp.user_id and us.member_id = c.member_id))
        returning c.id`,
  )
  return taken.length
}

/** Users among `userIds` holding panelist or secretary over the unit at `path`. */
export async function eligiblePanelists(db: Db, userIds: string[], path: string): Promise<Set<string>> {
  const found = await rows<{ id: string }>(
    db,
    sql`select distinct g.user_id::text as id from role_grants g
        join org_units o on o.id = g.org_unit_id join users us on us.id = g.user_id
        where g.role in ('panelist','secretary') and us.disabled_at is null and ${path} like o.path || '%'
          and g.user_id in (${sql.join(
            userIds.map((u) => sql`${u}::uuid`),
            sql`, `,
          )})`,
  )
  return new Set(found.map((f) => f.id))
}

/** member id -> user id of users linked to member records, to know who is recused from what. */
export async function usersOfMembers(db: Db, memberIds: string[]): Promise<Map<string, string>> {
  if (memberIds.length === 0) return new Map()
  const found = await rows<{ memberId: string; userId: string }>(
    db,
    sql`select member_id as "memberId", id as "userId" from users
        where member_id in (${sql.join(
          memberIds.map((m) => sql`${m}::uuid`),
          sql`, `,
        )})`,
  )
  return new Map(found.map((f) => [f.memberId, f.userId]))
}

export interface ScoreRow {
  claimId: string
  panelistUserId: string
  time: number
  content: number
  quality: number
  points: Cents
  comment: string | null
  updatedAt: Date
}

/** The current attempt's scores of the given claims. */
export async function scoresOf(db: Db, claimIds: string[]): Promise<ScoreRow[]> {
  if (claimIds.length === 0) return []
  const found = await rows<ScoreRow & { points: string }>(
    db,
    sql`select s.claim_id as "claimId", s.panelist_user_id as "panelistUserId", s.time, s.content, s.quality,
          s.points, s.comment, s.updated_at as "updatedAt"
        from claim_scores s join claims c on c.id = s.claim_id and c.attempt = s.attempt
        where s.claim_id in (${sql.join(
          claimIds.map((c) => sql`${c}::uuid`),
          sql`, `,
        )})
        order by s.claim_id, s.panelist_user_id`,
  )
  return found.map((s) => ({ ...s, points: centsFromDb(s.points), updatedAt: asDate(s.updatedAt) }))
}

export async function upsertScore(
  db: Db,
  s: Omit<ScoreRow, 'updatedAt'> & { attempt: number },
): Promise<ScoreRow> {
  const row = await one<ScoreRow & { points: string }>(
    db,
    sql`insert into claim_scores (claim_id, attempt, panelist_user_id, time, content, quality, points, comment)
        values (${s.claimId}, ${s.attempt}, ${s.panelistUserId}, ${s.time}, ${s.content}, ${s.quality},
          ${s.points}, ${s.comment})
        on conflict (claim_id, attempt, panelist_user_id) do update set time = excluded.time,
          content = excluded.content, quality = excluded.quality, points = excluded.points,
          comment = excluded.comment, updated_at = now()
        returning claim_id as "claimId", panelist_user_id as "panelistUserId", time, content, quality, points,
          comment, updated_at as "updatedAt"`,
  )
  return { ...row!, points: centsFromDb(row!.points), updatedAt: asDate(row!.updatedAt) }
}

export async function setResult(
  db: Db,
  claimId: string,
  r: { result: Cents; spread: Cents; divergent: boolean },
): Promise<void> {
  await db.execute(
    sql`update claims set status = 'scored', result = ${r.result}, spread = ${r.spread}, divergent = ${r.divergent},
          updated_at = now() where id = ${claimId} and status = 'scoring'`,
  )
}

export async function closeRound(db: Db, id: string, closedAt: Date, endsAt: Date): Promise<void> {
  await db.execute(
    sql`update scoring_rounds set status = 'publicity', closed_at = ${closedAt.toISOString()},
          publicity_ends_at = ${endsAt.toISOString()},
          updated_at = now() where id = ${id} and status = 'scoring'`,
  )
}

/** Sends a scored claim back to the panel: a new attempt, so earlier scores no longer count. */
export async function reopenClaim(db: Db, claimId: string): Promise<void> {
  await db.execute(
    sql`update claims set status = 'scoring', attempt = attempt + 1, result = null, spread = null, divergent = null,
          updated_at = now() where id = ${claimId} and status = 'scored'`,
  )
}

export async function reopenRound(db: Db, roundId: string): Promise<void> {
  await db.execute(
    sql`update scoring_rounds set status = 'scoring', publicity_ends_at = null, updated_at = now()
        where id = ${roundId} and status in ('publicity', 'scoring')`,
  )
}

export async function markFinalized(db: Db, roundId: string): Promise<boolean> {
  const row = await one(
    db,
    sql`update scoring_rounds set status = 'finalized', finalized_at = now(), updated_at = now()
        where id = ${roundId} and status = 'publicity' returning id`,
  )
  return Boolean(row)
}
