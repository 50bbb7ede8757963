import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ClaimStatus, ObjectionStatus, RoundStatus } from '../../db/schema/scoring'
import type { Aggregation } from '../../shared/decimal'

/** Timestamps from raw SQL arrive as Date or as PostgreSQL text ("2026-11-27 13:43:03.1+08") by driver. */
export function asDate(v: unknown): Date {
  if (v instanceof Date) return v
  return new Date(
    String(v)
      .replace(' ', 'T')
      .replace(/([+-]\d\d)$/, '$1:00'),
  )
}
const asDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : asDate(v))

import { type Cents, centsFromDb } from '../../shared/decimal'

export interface ClaimRow {
  id: string
  memberId: string
  orgUnitId: string
  path: string
  rubricId: string
  itemCode: string
  kind: 'award' | 'deduction'
  occurredOn: string
  quantity: Cents
  ceiling: Cents
  description: string
  evidence: { activityIds?: string[]; serviceRequestIds?: string[]; links?: string[] }
  source: 'manual' | 'activity' | 'service_request'
  status: ClaimStatus
  roundId: string | null
  attempt: number
  result: Cents | null
  spread: Cents | null
  divergent: boolean | null
  awarded: Cents | null
  cappedAmount: Cents | null
  capReason: string | null
  ledgerTransactionId: string | null
  createdAt: Date
  updatedAt: Date
  createdKey: string
}

const CLAIM_COLUMNS = sql`c.id, c.member_id as "memberId", c.org_unit_id as "orgUnitId", u.path,
  c.rubric_id as "rubricId", c.item_code as "itemCode", c.kind, to_char(c.occurred_on, 'YYYY-MM-DD') as "occurredOn",
  c.quantity, c.ceiling, c.description, c.evidence, c.source, c.status, c.round_id as "roundId", c.attempt,
  c.result, c.spread, c.divergent, c.awarded, c.capped_amount as "cappedAmount", c.cap_reason as "capReason",
  c.ledger_transaction_id as "ledgerTransactionId", c.created_at as "createdAt", c.updated_at as "updatedAt",
  c.created_at::text as "createdKey"`

const CENTS = ['quantity', 'ceiling'] as const
const MAYBE_CENTS = ['result', 'spread', 'awarded', 'cappedAmount'] as const

function toClaim(r: Record<string, unknown>): ClaimRow {
  const out = { ...r } as Record<string, unknown>
  for (const k of CENTS) out[k] = centsFromDb(r[k] as string)
  for (const k of MAYBE_CENTS) out[k] = r[k] === null ? null : centsFromDb(r[k] as string)
  out.createdAt = asDate(r.createdAt)
  out.updatedAt = asDate(r.updatedAt)
  return out as unknown as ClaimRow
}

export async function findClaim(db: Db, id: string, lock = false): Promise<ClaimRow | undefined> {
  const r = await one(
    db,
    sql`select ${CLAIM_COLUMNS} from claims c join org_units u on u.id = c.org_unit_id
        where c.id = ${id} ${lock ? sql`for update of c` : sql``}`,
  )
  return r && toClaim(r)
}

export async function listClaimRows(
  db: Db,
  where: SQL,
  cursor: (string | number)[] | undefined,
  limit: number,
) {
  const after = cursor
    ? sql`and (c.created_at, c.id) < (${cursor[0]}::timestamptz, ${cursor[1]}::uuid)`
    : sql``
  const found = await rows(
    db,
    sql`select ${CLAIM_COLUMNS} from claims c join org_units u on u.id = c.org_unit_id
        where ${where} ${after} order by c.created_at desc, c.id desc limit ${limit + 1}`,
  )
  return found.map(toClaim)
}

/** Claims of a round, locked in ascending id order when asked (the lock order every writer uses). */
export async function roundClaims(db: Db, roundId: string, lock = false): Promise<ClaimRow[]> {
  const found = await rows(
    db,
    sql`select ${CLAIM_COLUMNS} from claims c join org_units u on u.id = c.org_unit_id
        where c.round_id = ${roundId} order by c.id ${lock ? sql`for update of c` : sql``}`,
  )
  return found.map(toClaim)
}

export interface NewClaim {
  memberId: string
  orgUnitId: string
  rubricId: string
  itemCode: string
  kind: 'award' | 'deduction'
  occurredOn: string
  quantity: Cents
  ceiling: Cents
  description: string
  evidence: { activityIds: string[]; serviceRequestIds: string[]; links: string[] }
  source: 'manual' | 'activity' | 'service_request'
  createdBy: string | null
}

export async function insertClaim(db: Db, c: NewClaim): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into claims (member_id, org_unit_id, rubric_id, item_code, kind, occurred_on, quantity, ceiling,
          description, evidence, source, created_by)
        values (${c.memberId}, ${c.orgUnitId}, ${c.rubricId}, ${c.itemCode}, ${c.kind}, ${c.occurredOn},
          ${c.quantity}, ${c.ceiling}, ${c.description}, ${JSON.stringify(c.evidence)}::jsonb, ${c.source},
          ${c.createdBy})
        returning id`,
  )
  return row!.id
}

/**
 * Links evidence to a claim. Returns the references that another live claim of the member already holds
 * under the same item (nothing is inserted for those; the caller decides whether that is an error).
 */
export async function linkEvidence(
  db: Db,
  claimId: string,
  memberId: string,
  itemCode: string,
  refs: { kind: 'activity' | 'service_request'; id: string }[],
): Promise<string[]> {
  if (refs.length === 0) return []
  const values = refs.map(
    (r) => sql`(${claimId}::uuid, ${memberId}::uuid, ${itemCode}, ${r.kind}, ${r.id}::uuid)`,
  )
  const inserted = await rows<{ refId: string }>(
    db,
    sql`insert into claim_evidence (claim_id, member_id, item_code, ref_kind, ref_id)
        values ${sql.join(values, sql`, `)} on conflict do nothing returning ref_id as "refId"`,
  )
  const got = new Set(inserted.map((r) => r.refId))
  return refs.filter((r) => !got.has(r.id.toLowerCase())).map((r) => r.id)
}

export async function deleteClaim(db: Db, id: string): Promise<void> {
  await db.execute(sql`delete from claims where id = ${id} and status = 'submitted'`)
}

/** Conditional: the claim moves only from the status the service saw (a race loses, never doubles). */
export async function withdraw(db: Db, id: string): Promise<boolean> {
  const row = await one(
    db,
    sql`update claims set status = 'withdrawn', updated_at = now() where id = ${id} and status = 'submitted' returning id`,
  )
  if (row) await db.execute(sql`delete from claim_evidence where claim_id = ${id}`)
  return Boolean(row)
}

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

export interface ObjectionRow {
  id: string
  claimId: string
  roundId: string
  memberId: string
  reason: string
  status: ObjectionStatus
  reply: string | null
  createdAt: Date
  resolvedAt: Date | null
  path: string
}

const OBJECTION_COLUMNS = sql`o.id, o.claim_id as "claimId", o.round_id as "roundId", o.member_id as "memberId",
  o.reason, o.status, o.reply, o.created_at as "createdAt", o.resolved_at as "resolvedAt"`

export async function insertObjection(
  db: Db,
  o: { claimId: string; roundId: string; memberId: string; filedBy: string; reason: string },
): Promise<ObjectionRow> {
  const row = await one<ObjectionRow>(
    db,
    sql`insert into objections as o (claim_id, round_id, member_id, filed_by, reason)
        values (${o.claimId}, ${o.roundId}, ${o.memberId}, ${o.filedBy}, ${o.reason})
        returning ${OBJECTION_COLUMNS}`,
  )
  return toObjection(row!)
}

function toObjection(o: ObjectionRow): ObjectionRow {
  return { ...o, createdAt: asDate(o.createdAt), resolvedAt: asDateOrNull(o.resolvedAt) }
}

export async function findObjection(db: Db, id: string, lock = false): Promise<ObjectionRow | undefined> {
  const o = await one<ObjectionRow>(
    db,
    sql`select ${OBJECTION_COLUMNS}, u.path from objections o
        join scoring_rounds r on r.id = o.round_id join org_units u on u.id = r.org_unit_id
        where o.id = ${id} ${lock ? sql`for update of o` : sql``}`,
  )
  return o && toObjection(o)
}

export async function resolveObjection(
  db: Db,
  id: string,
  r: { status: 'upheld' | 'rescore'; reply: string; by: string },
): Promise<ObjectionRow | undefined> {
  const o = await one<ObjectionRow>(
    db,
    sql`update objections o set status = ${r.status}, reply = ${r.reply}, resolved_by = ${r.by}, resolved_at = now()
        where o.id = ${id} and o.status = 'open' returning ${OBJECTION_COLUMNS}`,
  )
  return o && toObjection(o)
}

export async function objectionsOf(db: Db, claimIds: string[]): Promise<ObjectionRow[]> {
  if (claimIds.length === 0) return []
  const found = await rows<ObjectionRow>(
    db,
    sql`select ${OBJECTION_COLUMNS} from objections o
        where o.claim_id in (${sql.join(
          claimIds.map((c) => sql`${c}::uuid`),
          sql`, `,
        )}) order by o.created_at, o.id`,
  )
  return found.map(toObjection)
}

export async function openObjectionCount(db: Db, roundId: string): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from objections where round_id = ${roundId} and status = 'open'`,
  )
  return Number(row?.n ?? 0)
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

export async function homePath(db: Db, memberId: string | null): Promise<string | null> {
  if (!memberId) return null
  const row = await one<{ path: string }>(
    db,
    sql`select u.path from members m join org_units u on u.id = m.org_unit_id where m.id = ${memberId}`,
  )
  return row?.path ?? null
}

export async function memberNames(db: Db, memberIds: string[]): Promise<Map<string, string>> {
  if (memberIds.length === 0) return new Map()
  const found = await rows<{ id: string; name: string }>(
    db,
    sql`select id, name from members where id in (${sql.join(
      memberIds.map((m) => sql`${m}::uuid`),
      sql`, `,
    )})`,
  )
  return new Map(found.map((f) => [f.id, f.name]))
}

/** What the member already got (or lost) under this item code in this rubric year, from posted claims. */
export async function postedThisYear(
  db: Db,
  memberId: string,
  itemCode: string,
  year: number,
): Promise<Cents> {
  const row = await one<{ total: string | null }>(
    db,
    sql`select sum(c.awarded) as total from claims c join rubrics r on r.id = c.rubric_id
        where c.member_id = ${memberId} and c.item_code = ${itemCode} and r.year = ${year} and c.status = 'posted'`,
  )
  return centsFromDb(row?.total)
}

/**
 * Serialises cap arithmetic per member across concurrent finalizes of different rounds: without it two rounds
 * could each see the same "already posted" sum and together pass the yearly cap. Taken in ascending order.
 */
export async function lockMembersForCaps(db: Db, memberIds: string[]): Promise<void> {
  for (const m of [...new Set(memberIds)].sort()) {
    await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`scoring-cap:${m}`}, 0))`)
  }
}

export async function markPosted(
  db: Db,
  claimId: string,
  p: { awarded: Cents; cappedAmount: Cents; capReason: string | null; ledgerTransactionId: string | null },
): Promise<boolean> {
  const row = await one(
    db,
    sql`update claims set status = 'posted', awarded = ${p.awarded}, capped_amount = ${p.cappedAmount},
          cap_reason = ${p.capReason}, ledger_transaction_id = ${p.ledgerTransactionId}, updated_at = now()
        where id = ${claimId} and status = 'scored' returning id`,
  )
  return Boolean(row)
}

export async function markFinalized(db: Db, roundId: string): Promise<boolean> {
  const row = await one(
    db,
    sql`update scoring_rounds set status = 'finalized', finalized_at = now(), updated_at = now()
        where id = ${roundId} and status = 'publicity' returning id`,
  )
  return Boolean(row)
}

export async function hasOpenObjection(db: Db, claimId: string, memberId: string): Promise<boolean> {
  const row = await one(
    db,
    sql`select 1 from objections where claim_id = ${claimId} and member_id = ${memberId} and status = 'open'`,
  )
  return Boolean(row)
}
