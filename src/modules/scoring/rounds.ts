import { sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import { type Caller, coversPath, hasRole, pathInScope, requireUnitInScope } from '../../shared/authz'
import { formatCents, parseCents } from '../../shared/decimal'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { endOfDayAfter, formatInstant } from '../../shared/time'
import { evidenceSummaries } from '../activities'
import { recordAudit } from '../audit'
import { recordEvent } from '../events'
import { effectiveSettings } from '../org'
import { rubricWithItems } from '../rubrics'
import { canMoveRound, computeResult, defaultQuorum, inRange, requiredScores } from './domain'
import * as repo from './repo'
import type { CreateRoundBody, ListRoundsQuery, ScoreBody } from './schemas'

export function iso(at: Date | null, tz: string): string | null {
  return at ? formatInstant(at, tz) : null
}

function roundSummary(round: repo.RoundRow, tz: string) {
  return {
    id: round.id,
    orgUnitId: round.orgUnitId,
    rubricId: round.rubricId,
    periodStart: round.periodStart,
    periodEnd: round.periodEnd,
    panelUserIds: round.panelUserIds,
    quorum: round.quorum,
    aggregation: round.aggregation,
    publicityDays: round.publicityDays,
    divergenceThreshold: round.divergenceThreshold === null ? null : formatCents(round.divergenceThreshold),
    status: round.status,
    claimCount: round.claimCount,
    closedAt: iso(round.closedAt, tz),
    publicityEndsAt: iso(round.publicityEndsAt, tz),
    finalizedAt: iso(round.finalizedAt, tz),
    createdAt: formatInstant(round.createdAt, tz),
  }
}

/** Who reads a round's claims to score them: its panel, and secretaries and panelists over its unit. */
function readsClaimsOf(caller: Caller, round: repo.RoundRow): boolean {
  return (
    round.panelUserIds.includes(caller.userId) || coversPath(caller, round.path, ['secretary', 'panelist'])
  )
}

/**
 * The claims' detail for the panel (RoundClaimDetail): names in one statement, the evidence of every claim in
 * one more (activities' evidenceSummaries), whatever the round's size. Only the name of the member: the panel
 * scores the work, it has no use for a phone or an identity document, and a panelist alone may read neither.
 */
async function claimDetails(db: Db, claims: repo.ClaimRow[]) {
  const names = await repo.memberNames(db, [...new Set(claims.map((c) => c.memberId))])
  const summaries = await evidenceSummaries(
    db,
    claims.map((c) => ({
      memberId: c.memberId,
      activityIds: c.evidence.activityIds ?? [],
      serviceRequestIds: c.evidence.serviceRequestIds ?? [],
    })),
  )
  const key = (kind: string, memberId: string, id: string) => `${kind} ${memberId} ${id}`.toLowerCase()
  const byRef = new Map(summaries.map((e) => [key(e.kind, e.memberId, e.id), e]))
  const hours = (v: number | null) => (v === null ? null : formatCents(v))
  return new Map(
    claims.map((c) => {
      const found = (kind: string, ids: string[] | undefined) =>
        (ids ?? []).flatMap((id) => {
          const e = byRef.get(key(kind, c.memberId, id))
          return e ? [e] : []
        })
      return [
        c.id,
        {
          memberName: names.get(c.memberId) ?? '',
          occurredOn: c.occurredOn,
          quantity: formatCents(c.quantity),
          description: c.description,
          source: c.source,
          evidence: {
            activities: found('activity', c.evidence.activityIds).map((e) => ({
              id: e.id,
              title: e.title,
              date: e.date,
              hours: hours(e.hoursCents),
            })),
            serviceRequests: found('service_request', c.evidence.serviceRequestIds).map((e) => ({
              id: e.id,
              title: e.title,
              completedOn: e.date,
              hours: hours(e.hoursCents),
              rating: e.rating,
            })),
            links: c.evidence.links ?? [],
          },
        },
      ] as const
    }),
  )
}

async function roundOut(db: Db, caller: Caller, round: repo.RoundRow, tz: string) {
  const claims = await repo.roundClaims(db, round.id)
  const scores = await repo.scoresOf(
    db,
    claims.map((c) => c.id),
  )
  const details = readsClaimsOf(caller, round) ? await claimDetails(db, claims) : null
  return {
    ...roundSummary(round, tz),
    // Only counts and "did I score it": the values stay hidden until the claim's scoring closes.
    claims: claims.map((c) => {
      const given = scores.filter((s) => s.claimId === c.id)
      const own = given.find((s) => s.panelistUserId === caller.userId)
      return {
        claimId: c.id,
        memberId: c.memberId,
        itemCode: c.itemCode,
        ceiling: formatCents(c.ceiling),
        status: c.status,
        scoreCount: given.length,
        scoredByMe: Boolean(own),
        myScore: own
          ? {
              time: own.time,
              content: own.content,
              quality: own.quality,
              points: formatCents(own.points),
              comment: own.comment,
            }
          : null,
        recused: caller.memberId === c.memberId,
        detail: details?.get(c.id) ?? null,
      }
    }),
  }
}

/** Rounds are for secretaries, panelists and members: any other role (grid worker, clerk) never sees one. */
function requireRoundRole(caller: Caller) {
  if (!caller.memberId && !hasRole(caller, ['secretary', 'panelist'])) throw forbidden()
}

/**
 * Who sees a round: secretaries and panelists over its unit, the users on its panel, and members of the
 * branch (results are public to them after close). Anyone else gets 404 (403 without any such role).
 */
export async function requireRoundVisible(
  db: Db,
  caller: Caller,
  id: string,
  lock?: 'update' | 'share',
): Promise<repo.RoundRow> {
  requireRoundRole(caller)
  const round = await repo.findRound(db, id, lock)
  if (!round) throw notFound('scoring round')
  if (
    coversPath(caller, round.path, ['secretary', 'panelist']) ||
    round.panelUserIds.includes(caller.userId)
  ) {
    return round
  }
  const home = await repo.homePath(db, caller.memberId)
  if (home?.startsWith(round.path)) return round
  throw notFound('scoring round')
}

export async function createScoringRound(db: Db, caller: Caller, body: CreateRoundBody, tz: string) {
  if (body.periodStart > body.periodEnd) throw validation('periodEnd', 'must not be before periodStart')
  const panel = [...new Set(body.panelUserIds.map((u) => u.toLowerCase()))].sort()
  const quorum = body.quorum ?? defaultQuorum(panel.length)
  if (quorum > panel.length) throw validation('quorum', `must not exceed the panel size ${panel.length}`)
  const threshold =
    body.divergenceThreshold === undefined
      ? null
      : parseCents(body.divergenceThreshold, 'divergenceThreshold')
  if (threshold !== null && threshold < 0) throw validation('divergenceThreshold', 'must not be negative')
  return transaction(db, async (tx) => {
    const unit = await requireUnitInScope(tx, caller, body.orgUnitId, ['secretary'])
    const rubric = await rubricWithItems(tx, body.rubricId)
    if (!rubric || !unit.path.startsWith(rubric.path)) {
      throw validation('rubricId', 'is not a rubric of this unit or above it')
    }
    if (rubric.status !== 'active') throw invalidState('a round scores under an active rubric')
    const eligible = await repo.eligiblePanelists(tx, panel, unit.path)
    const outsiders = panel.filter((u) => !eligible.has(u))
    if (outsiders.length > 0) {
      throw new DomainError(
        'validation_failed',
        `panelUserIds: ${outsiders.join(', ')} hold no panelist or secretary grant over this unit`,
        { errors: outsiders.map((u) => ({ field: 'panelUserIds', message: `${u} is not a panelist here` })) },
      )
    }
    const { minPublicityDays } = await effectiveSettings(tx, unit.id)
    if (body.publicityDays !== undefined && body.publicityDays < minPublicityDays)
      throw validation(
        'publicityDays',
        `must be at least ${minPublicityDays}: results stay on the notice board (公示) at least that long here`,
      )
    const id = await repo.insertRound(tx, {
      orgUnitId: unit.id,
      rubricId: rubric.id,
      periodStart: body.periodStart,
      periodEnd: body.periodEnd,
      quorum,
      aggregation: body.aggregation ?? 'mean',
      publicityDays: body.publicityDays ?? null,
      divergenceThreshold: threshold,
      createdBy: caller.userId,
      panelUserIds: panel,
    })
    const taken = await repo.takeInClaims(tx, id, {
      rubricId: rubric.id,
      branchPath: unit.path,
      periodStart: body.periodStart,
      periodEnd: body.periodEnd,
    })
    if (taken === 0) throw invalidState('no submitted claim of this unit and period is waiting for a round')
    const out = await roundOut(tx, caller, (await repo.findRound(tx, id))!, tz)
    await recordAudit(tx, caller, {
      action: 'scoring_round.created',
      targetType: 'scoring_round',
      targetId: id,
      orgUnitId: unit.id,
      after: { ...out, claims: out.claims.map((c) => c.claimId) },
    })
    return out
  })
}

/** Rounds the caller may see (as getScoringRound), newest first; without their claims. */
export async function listScoringRounds(db: Db, caller: Caller, q: ListRoundsQuery, tz: string) {
  requireRoundRole(caller)
  const limit = pageLimit(q.limit)
  const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid'])
  const home = await repo.homePath(db, caller.memberId)
  const visible = [
    pathInScope(sql`u.path`, caller, ['secretary', 'panelist']),
    sql`exists (select 1 from round_panelists p where p.round_id = r.id and p.user_id = ${caller.userId})`,
    ...(home ? [sql`${home} like u.path || '%'`] : []),
  ]
  const filters = [sql`(${sql.join(visible, sql` or `)})`]
  if (q.orgUnitId) {
    filters.push(sql`u.path like (select o.path from org_units o where o.id = ${q.orgUnitId}) || '%'`)
  }
  if (q.status) filters.push(sql`r.status = ${q.status}`)
  if (q.rubricId) filters.push(sql`r.rubric_id = ${q.rubricId}`)
  const found = await repo.listRoundRows(db, sql.join(filters, sql` and `), cursor, limit)
  return toPage(
    found,
    limit,
    (r) => [r.createdKey, r.id],
    (r) => roundSummary(r, tz),
  )
}

export async function getScoringRound(db: Db, caller: Caller, id: string, tz: string) {
  return roundOut(db, caller, await requireRoundVisible(db, caller, id), tz)
}

export async function submitScore(
  db: Db,
  caller: Caller,
  roundId: string,
  claimId: string,
  body: ScoreBody,
  tz: string,
) {
  const points = parseCents(body.points, 'points')
  return transaction(db, async (tx) => {
    // Share lock: panelists score side by side, but never while the secretary is closing the round.
    const round = await requireRoundVisible(tx, caller, roundId, 'share')
    if (!round.panelUserIds.includes(caller.userId)) throw forbidden('you are not on this round’s panel')
    const claim = await repo.findClaim(tx, claimId, true)
    if (!claim || claim.roundId !== round.id) throw notFound('claim')
    if (claim.memberId === caller.memberId) {
      throw new DomainError('recused', 'nobody scores a claim of their own member record')
    }
    if (round.status !== 'scoring' || claim.status !== 'scoring') {
      throw invalidState(`scores are given while the claim is being scored; it is ${claim.status}`)
    }
    if (!inRange(points, claim.ceiling)) {
      const [lo, hi] = [Math.min(0, claim.ceiling), Math.max(0, claim.ceiling)].map(formatCents)
      throw new DomainError('out_of_range', `points must lie between ${lo} and ${hi}`, { min: lo, max: hi })
    }
    const score = await repo.upsertScore(tx, {
      claimId,
      attempt: claim.attempt,
      panelistUserId: caller.userId,
      time: body.time,
      content: body.content,
      quality: body.quality,
      points,
      comment: body.comment ?? null,
    })
    // The values are audited at close (claim.result): written now, they would leak to the audit readers.
    await recordAudit(tx, caller, {
      action: 'claim.score_given',
      targetType: 'claim',
      targetId: claimId,
      orgUnitId: claim.orgUnitId,
      after: { roundId, attempt: claim.attempt, panelistUserId: caller.userId },
    })
    return {
      claimId,
      panelistUserId: score.panelistUserId,
      time: score.time,
      content: score.content,
      quality: score.quality,
      points: formatCents(score.points),
      comment: score.comment,
      updatedAt: formatInstant(score.updatedAt, tz),
    }
  })
}

export async function closeScoring(db: Db, caller: Caller, roundId: string, tz: string) {
  return transaction(db, async (tx) => {
    const round = await requireRoundVisible(tx, caller, roundId, 'update')
    await requireUnitInScope(tx, caller, round.orgUnitId, ['secretary'])
    if (!canMoveRound(round.status, 'publicity'))
      throw invalidState(`the round is ${round.status}, not scoring`)
    const claims = (await repo.roundClaims(tx, round.id, true)).filter((c) => c.status === 'scoring')
    const scores = await repo.scoresOf(
      tx,
      claims.map((c) => c.id),
    )
    const recusedUser = await repo.usersOfMembers(
      tx,
      claims.map((c) => c.memberId),
    )
    const short: { claimId: string; scores: number; required: number }[] = []
    const computed = claims.map((c) => {
      const eligible = round.panelUserIds.filter((u) => u !== recusedUser.get(c.memberId))
      const given = scores.filter((s) => s.claimId === c.id && eligible.includes(s.panelistUserId))
      const required = requiredScores(round.quorum, eligible.length)
      if (given.length < required || eligible.length === 0) {
        short.push({ claimId: c.id, scores: given.length, required })
      }
      return { claim: c, given }
    })
    if (short.length > 0) {
      throw new DomainError(
        'quorum_not_met',
        `${short.length} claim(s) lack the quorum: ${short.map((s) => `${s.claimId} (${s.scores}/${s.required})`).join(', ')}`,
        { claimIds: short.map((s) => s.claimId), claims: short },
      )
    }
    for (const { claim, given } of computed) {
      const r = computeResult(
        round.aggregation,
        given.map((s) => s.points),
        claim.ceiling,
        round.divergenceThreshold,
      )
      await repo.setResult(tx, claim.id, r)
      await recordAudit(tx, caller, {
        action: 'claim.result',
        targetType: 'claim',
        targetId: claim.id,
        orgUnitId: claim.orgUnitId,
        after: {
          roundId,
          attempt: claim.attempt,
          result: formatCents(r.result),
          spread: formatCents(r.spread),
          divergent: r.divergent,
          scores: given.map((s) => ({
            ...s,
            points: formatCents(s.points),
            updatedAt: formatInstant(s.updatedAt, tz),
          })),
        },
      })
    }
    // The floor in force at close wins over days asked for when a unit above has raised it since.
    const settings = await effectiveSettings(tx, round.orgUnitId)
    const days = Math.max(round.publicityDays ?? settings.publicityDays, settings.minPublicityDays)
    const now = new Date()
    await repo.closeRound(tx, round.id, now, endOfDayAfter(now, days, tz))
    const out = await roundOut(tx, caller, (await repo.findRound(tx, round.id))!, tz)
    await recordAudit(tx, caller, {
      action: 'scoring_round.closed',
      targetType: 'scoring_round',
      targetId: round.id,
      orgUnitId: round.orgUnitId,
      before: { status: 'scoring' },
      after: {
        status: out.status,
        closedAt: out.closedAt,
        publicityEndsAt: out.publicityEndsAt,
        publicityDays: days,
      },
    })
    await recordEvent(tx, {
      type: 'round.publicity_started',
      orgUnitId: round.orgUnitId,
      subject: { type: 'scoring_round', id: round.id },
      data: {
        roundId: round.id,
        orgUnitId: round.orgUnitId,
        closedAt: out.closedAt,
        publicityEndsAt: out.publicityEndsAt,
        publicityDays: days,
      },
    })
    return out
  })
}
