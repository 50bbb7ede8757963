import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ClaimStatus } from '../../db/schema/scoring'
/** Timestamps from raw SQL arrive as Date or as PostgreSQL text ("2026-11-27 13:43:03.1+08") by driver. */
export function asDate(v: unknown): Date {
  if (v instanceof Date) return v
  return new Date(
    String(v)
      .replace(' ', 'T')
      .replace(/([+-]\d\d)$/, '$1:00'),
  )
}
export const asDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : asDate(v))

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
  batchId: string | null
  createdAt: Date
  updatedAt: Date
  createdKey: string
}

const CLAIM_COLUMNS = sql`c.id, c.member_id as "memberId", c.org_unit_id as "orgUnitId", u.path,
  c.rubric_id as "rubricId", c.item_code as "itemCode", c.kind, to_char(c.occurred_on, 'YYYY-MM-DD') as "occurredOn",
  c.quantity, c.ceiling, c.description, c.evidence, c.source, c.status, c.round_id as "roundId", c.attempt,
  c.result, c.spread, c.divergent, c.awarded, c.capped_amount as "cappedAmount", c.cap_reason as "capReason",
  c.ledger_transaction_id as "ledgerTransactionId", c.batch_id as "batchId", c.created_at as "createdAt", c.updated_at as "updatedAt",
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

/**
 * 批量申报: the same manual claim for many members, one INSERT (a branch of 500 is one statement, not 500), all
 * sharing `batchId`. Each member's home unit comes with them. Returns the new claims' ids in the members' order.
 */
export async function insertClaimsBatch(
  db: Db,
  batchId: string,
  c: Omit<NewClaim, 'memberId' | 'orgUnitId' | 'evidence' | 'source'>,
  members: { id: string; orgUnitId: string }[],
): Promise<string[]> {
  const found = await rows<{ id: string }>(
    db,
    sql`insert into claims (member_id, org_unit_id, rubric_id, item_code, kind, occurred_on, quantity, ceiling,
          description, evidence, source, created_by, batch_id)
        select m.member_id, m.org_unit_id, ${c.rubricId}, ${c.itemCode}, ${c.kind}, ${c.occurredOn}, ${c.quantity},
               ${c.ceiling}, ${c.description}, '{"activityIds":[],"serviceRequestIds":[],"links":[]}'::jsonb,
               'manual', ${c.createdBy}, ${batchId}
          from unnest(${`{${members.map((m) => m.id).join(',')}}`}::uuid[],
                      ${`{${members.map((m) => m.orgUnitId).join(',')}}`}::uuid[])
               with ordinality as m(member_id, org_unit_id, n)
         order by m.n
        returning id`,
  )
  return found.map((r) => r.id)
}

/** The claims of one batch, in the order they were filed. */
export async function batchClaims(db: Db, batchId: string): Promise<ClaimRow[]> {
  const found = await rows(
    db,
    sql`select ${CLAIM_COLUMNS} from claims c join org_units u on u.id = c.org_unit_id
        where c.batch_id = ${batchId} order by c.created_at, c.id`,
  )
  return found.map(toClaim)
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
  const keys = [...new Set(memberIds)].sort().map((m) => `scoring-cap:${m}`)
  if (keys.length === 0) return
  // One statement: the aggregate takes the locks in the subquery's (ascending) order.
  await db.execute(
    sql`select count(pg_advisory_xact_lock(hashtextextended(k, 0)))
        from (select k from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) with ordinality as u(k, n)
              order by n) s`,
  )
}

/**
 * postedThisYear for many (member, item) pairs in one statement: "memberId itemCode" -> cents
 * (pairs with nothing posted are absent).
 */
export async function postedThisYearMany(
  db: Db,
  pairs: { memberId: string; itemCode: string }[],
  year: number,
): Promise<Map<string, Cents>> {
  const out = new Map<string, Cents>()
  if (pairs.length === 0) return out
  // Members x items (a superset of the pairs; the caller looks up only its own): `member_id = any` keeps
  // the plan an index probe per member whatever the statistics say, where a join to a JSON list of pairs
  // was planned as a nested loop over all posted claims (1.5 s for 2,000 pairs on the bench database).
  const members = `{${[...new Set(pairs.map((p) => p.memberId))].join(',')}}`
  const items = JSON.stringify([...new Set(pairs.map((p) => p.itemCode))])
  const found = await rows<{ memberId: string; itemCode: string; total: string | null }>(
    db,
    sql`select c.member_id as "memberId", c.item_code as "itemCode", sum(c.awarded) as total
        from claims c join rubrics r on r.id = c.rubric_id
        where c.member_id = any (${members}::uuid[])
          and c.item_code = any (array(select jsonb_array_elements_text(${items}::jsonb)))
          and r.year = ${year} and c.status = 'posted'
        group by c.member_id, c.item_code`,
  )
  for (const f of found) out.set(`${f.memberId} ${f.itemCode}`, centsFromDb(f.total))
  return out
}

/** markPosted for many claims in one statement; returns the ids that moved scored -> posted. */
export async function markPostedMany(
  db: Db,
  items: {
    claimId: string
    awarded: Cents
    cappedAmount: Cents
    capReason: string | null
    ledgerTransactionId: string | null
  }[],
): Promise<Set<string>> {
  if (items.length === 0) return new Set()
  const found = await rows<{ id: string }>(
    db,
    sql`update claims c set status = 'posted', awarded = x.awarded, capped_amount = x."cappedAmount",
          cap_reason = x."capReason", ledger_transaction_id = x."ledgerTransactionId", updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(items)}::jsonb)
          as x("claimId" uuid, awarded bigint, "cappedAmount" bigint, "capReason" text, "ledgerTransactionId" uuid)
        where c.id = x."claimId" and c.status = 'scored' returning c.id`,
  )
  return new Set(found.map((f) => f.id))
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
