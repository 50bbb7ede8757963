import { sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import { type Caller, coversPath, hasRole, pathInScope, requireMemberAtHome } from '../../shared/authz'
import { formatCents, parseCents } from '../../shared/decimal'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant, localDate } from '../../shared/time'
import { foreignEvidence } from '../activities'
import { recordAudit } from '../audit'
import { claimCeiling, type RubricItem, rubricWithItems } from '../rubrics'
import { canMoveClaim } from './domain'
import * as repo from './repo'
import type { CreateClaimBody, ListClaimsQuery } from './schemas'

export function claimOut(c: repo.ClaimRow, tz: string) {
  const maybe = (v: number | null) => (v === null ? null : formatCents(v))
  return {
    id: c.id,
    memberId: c.memberId,
    orgUnitId: c.orgUnitId,
    rubricId: c.rubricId,
    itemCode: c.itemCode,
    kind: c.kind,
    occurredOn: c.occurredOn,
    quantity: formatCents(c.quantity),
    ceiling: formatCents(c.ceiling),
    description: c.description,
    evidence: {
      activityIds: c.evidence.activityIds ?? [],
      serviceRequestIds: c.evidence.serviceRequestIds ?? [],
      links: c.evidence.links ?? [],
    },
    source: c.source,
    status: c.status,
    roundId: c.roundId,
    result: maybe(c.result),
    awarded: maybe(c.awarded),
    cappedAmount: maybe(c.cappedAmount),
    capReason: c.capReason,
    ledgerTransactionId: c.ledgerTransactionId,
    batchId: c.batchId,
    createdAt: formatInstant(c.createdAt, tz),
    updatedAt: formatInstant(c.updatedAt, tz),
  }
}

const STAFF = ['secretary', 'panelist'] as const

/** A caller who is neither a member nor holds a role that deals with claims never sees one: 403. */
function requireClaimRole(caller: Caller) {
  if (!caller.memberId && !hasRole(caller, STAFF)) throw forbidden()
}

/** The claimant, and secretaries and panelists over the member's unit, see a claim; others get 404. */
async function requireClaimVisible(db: Db, caller: Caller, id: string, lock = false) {
  requireClaimRole(caller)
  const claim = await repo.findClaim(db, id, lock)
  if (!claim) throw notFound('claim')
  if (caller.memberId === claim.memberId || coversPath(caller, claim.path, STAFF)) return claim
  throw notFound('claim')
}

function parseQuantity(item: RubricItem, input: CreateClaimBody['quantity']): number {
  if (item.unit === 'fixed') return 100
  if (input === undefined) throw validation('quantity', `is required for a ${item.unit} item`)
  const q = parseCents(input, 'quantity')
  if (q <= 0) throw validation('quantity', 'must be positive')
  if (item.unit === 'occurrence' && q % 100 !== 0)
    throw validation('quantity', 'occurrences are whole numbers')
  return q
}

/** What a claim is worth and under which item, from the request: the checks createClaim and its batch share. */
export async function claimTerms(
  tx: Db,
  body: Pick<CreateClaimBody, 'rubricId' | 'itemCode' | 'occurredOn' | 'quantity'>,
  tz: string,
  /** The home unit paths of the claimants: the rubric must be of their unit or above it. */
  memberPaths: string[],
) {
  const rubric = await rubricWithItems(tx, body.rubricId)
  const outside = rubric ? memberPaths.findIndex((p) => !p.startsWith(rubric.path)) : 0
  if (!rubric || outside >= 0) {
    throw validation(
      'rubricId',
      `is not a rubric of the member's unit or above it${memberPaths.length > 1 ? ` (memberIds[${outside}])` : ''}`,
    )
  }
  if (rubric.status !== 'active') throw invalidState('claims are made under an active rubric')
  const item = rubric.items.find((i) => i.code === body.itemCode)
  if (!item) throw validation('itemCode', `is not an item of rubric ${rubric.name}`)
  if (Number(body.occurredOn.slice(0, 4)) !== rubric.year) {
    throw validation('occurredOn', `must fall in the rubric's year ${rubric.year}`)
  }
  if (body.occurredOn > localDate(new Date(), tz)) throw validation('occurredOn', 'is in the future')
  const quantity = parseQuantity(item, body.quantity)
  const ceiling = claimCeiling(item, quantity)
  if (ceiling === 0) throw validation('quantity', 'is too small to be worth 0.01 points')
  return { rubric, item, quantity, ceiling }
}

export async function createClaim(db: Db, caller: Caller, body: CreateClaimBody, tz: string) {
  return transaction(db, async (tx) => {
    // The member themself or a secretary over the member's home unit: claims are scored in the home branch, so
    // a community that sees the member through 双报到 files none for them (404, as for a member it cannot see).
    const member = await requireMemberAtHome(tx, caller, body.memberId, ['secretary'])
    const { rubric, item, quantity, ceiling } = await claimTerms(tx, body, tz, [member.path])
    // A member does not record deductions against themselves; that is the secretary's job.
    if (item.kind === 'deduction' && !coversPath(caller, member.path, ['secretary'])) {
      throw forbidden('deductions are recorded by a secretary over the member')
    }
    const evidence = {
      activityIds: body.evidence?.activityIds ?? [],
      serviceRequestIds: body.evidence?.serviceRequestIds ?? [],
      links: body.evidence?.links ?? [],
    }
    const foreign = await foreignEvidence(tx, member.id, evidence)
    if (foreign.activityIds.length + foreign.serviceRequestIds.length > 0) {
      const errors = [
        ...foreign.activityIds.map((id) => ({
          field: 'evidence.activityIds',
          message: `${id} is not a verified activity of this member`,
        })),
        ...foreign.serviceRequestIds.map((id) => ({
          field: 'evidence.serviceRequestIds',
          message: `${id} is not a confirmed service request of this member`,
        })),
      ]
      throw new DomainError('validation_failed', `${errors[0]!.field}: ${errors[0]!.message}`, { errors })
    }
    const id = await repo.insertClaim(tx, {
      memberId: member.id,
      orgUnitId: member.orgUnitId,
      rubricId: rubric.id,
      itemCode: item.code,
      kind: item.kind,
      occurredOn: body.occurredOn,
      quantity,
      ceiling,
      description: body.description,
      evidence,
      source: 'manual',
      createdBy: caller.userId,
    })
    const taken = await repo.linkEvidence(tx, id, member.id, item.code, [
      ...evidence.activityIds.map((a) => ({ kind: 'activity' as const, id: a })),
      ...evidence.serviceRequestIds.map((r) => ({ kind: 'service_request' as const, id: r })),
    ])
    if (taken.length > 0) {
      throw new DomainError('conflict', `already claimed under ${item.code}: ${taken.join(', ')}`, {
        claimedEvidenceIds: taken,
      })
    }
    const out = claimOut((await repo.findClaim(tx, id))!, tz)
    await recordAudit(tx, caller, {
      action: 'claim.created',
      targetType: 'claim',
      targetId: id,
      orgUnitId: member.orgUnitId,
      after: out,
    })
    return out
  })
}

export async function getClaim(db: Db, caller: Caller, id: string, tz: string) {
  return claimOut(await requireClaimVisible(db, caller, id), tz)
}

export async function listClaims(db: Db, caller: Caller, q: ListClaimsQuery, tz: string) {
  requireClaimRole(caller)
  const limit = pageLimit(q.limit)
  const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid'])
  const own = caller.memberId ? sql`c.member_id = ${caller.memberId}` : sql`false`
  const filters = [sql`(${own} or ${pathInScope(sql`u.path`, caller, STAFF)})`]
  if (q.orgUnitId) {
    filters.push(sql`u.path like (select p.path from org_units p where p.id = ${q.orgUnitId}) || '%'`)
  }
  if (q.memberId) filters.push(sql`c.member_id = ${q.memberId}`)
  if (q.status) filters.push(sql`c.status = ${q.status}`)
  if (q.roundId) filters.push(sql`c.round_id = ${q.roundId}`)
  const found = await repo.listClaimRows(db, sql.join(filters, sql` and `), cursor, limit)
  return toPage(
    found,
    limit,
    (c) => [c.createdKey, c.id],
    (c) => claimOut(c, tz),
  )
}

export async function withdrawClaim(db: Db, caller: Caller, id: string, tz: string) {
  return transaction(db, async (tx) => {
    const claim = await requireClaimVisible(tx, caller, id, true)
    if (caller.memberId !== claim.memberId && !coversPath(caller, claim.path, ['secretary'])) {
      throw forbidden('only the claimant or a secretary withdraws a claim')
    }
    if (!canMoveClaim(claim.status, 'withdrawn') || !(await repo.withdraw(tx, id))) {
      throw invalidState(`a claim is withdrawn only while submitted; it is ${claim.status}`)
    }
    const out = claimOut((await repo.findClaim(tx, id))!, tz)
    await recordAudit(tx, caller, {
      action: 'claim.withdrawn',
      targetType: 'claim',
      targetId: id,
      orgUnitId: claim.orgUnitId,
      before: { status: claim.status },
      after: { status: out.status },
    })
    return out
  })
}
