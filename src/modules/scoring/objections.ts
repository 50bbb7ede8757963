import { type Db, transaction } from '../../db/client'
import { type Caller, requireUnitInScope } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { DomainError, forbidden, invalidState, notFound } from '../../shared/errors'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import { recordEvent } from '../events'
import { canMoveObjection } from './domain'
import * as repo from './repo'
import { iso, requireRoundVisible } from './rounds'
import type { ResolveBody } from './schemas'

export function objectionOut(o: repo.ObjectionRow, tz: string) {
  return {
    id: o.id,
    claimId: o.claimId,
    roundId: o.roundId,
    memberId: o.memberId,
    reason: o.reason,
    status: o.status,
    reply: o.reply,
    createdAt: formatInstant(o.createdAt, tz),
    resolvedAt: iso(o.resolvedAt, tz),
  }
}

/** 异议: a member of the round's branch objects to a result while it is on public notice. */
export async function fileObjection(db: Db, caller: Caller, claimId: string, reason: string, tz: string) {
  if (!caller.memberId) throw forbidden('objections are filed by members of the branch')
  return transaction(db, async (tx) => {
    const seen = await repo.findClaim(tx, claimId)
    if (!seen?.roundId) throw notFound('claim')
    // Share lock on the round: finalize or a rescore (which take it for update) cannot slip between check
    // and insert. Then the claim, locked, so one member's two objections at once make one.
    const round = (await repo.findRound(tx, seen.roundId, 'share'))!
    const claim = (await repo.findClaim(tx, claimId, true))!
    const home = await repo.homePath(tx, caller.memberId)
    if (!home?.startsWith(round.path)) throw notFound('claim')
    const now = new Date()
    if (
      round.status !== 'publicity' ||
      claim.status !== 'scored' ||
      !round.publicityEndsAt ||
      now >= round.publicityEndsAt
    ) {
      throw invalidState('objections are filed only while the result is on public notice')
    }
    // One open objection per member and claim: a second one adds nothing for the secretary to answer.
    if (await repo.hasOpenObjection(tx, claimId, caller.memberId!)) {
      throw new DomainError('conflict', 'you already have an open objection to this result')
    }
    const objection = await repo.insertObjection(tx, {
      claimId,
      roundId: round.id,
      memberId: caller.memberId!,
      filedBy: caller.userId,
      reason,
    })
    const out = objectionOut(objection, tz)
    await recordAudit(tx, caller, {
      action: 'objection.filed',
      targetType: 'objection',
      targetId: objection.id,
      orgUnitId: round.orgUnitId,
      after: out,
    })
    await recordEvent(tx, {
      type: 'objection.filed',
      orgUnitId: round.orgUnitId,
      subject: { type: 'objection', id: objection.id },
      memberId: out.memberId,
      data: out,
    })
    return out
  })
}

/**
 * The secretary answers: `upheld` keeps the result with a written reply; `rescore` sends the claim back to
 * the panel (a new attempt) and the round back to scoring, so publicity starts again after the next close.
 */
export async function resolveObjection(db: Db, caller: Caller, id: string, body: ResolveBody, tz: string) {
  return transaction(db, async (tx) => {
    const found = await repo.findObjection(tx, id)
    if (!found) throw notFound('objection')
    // Lock order as everywhere: round, then claim, then the objection.
    const round = (await repo.findRound(tx, found.roundId, 'update'))!
    try {
      await requireUnitInScope(tx, caller, round.orgUnitId, ['secretary'])
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') throw notFound('objection')
      throw err
    }
    const claim = (await repo.findClaim(tx, found.claimId, true))!
    const objection = (await repo.findObjection(tx, id, true))!
    if (!canMoveObjection(objection.status, body.decision))
      throw invalidState(`the objection is already ${objection.status}`)
    const resolved = (await repo.resolveObjection(tx, id, {
      status: body.decision,
      reply: body.reply,
      by: caller.userId,
    }))!
    if (body.decision === 'rescore' && claim.status === 'scored') {
      await repo.reopenClaim(tx, claim.id)
      await repo.reopenRound(tx, round.id)
      await recordAudit(tx, caller, {
        action: 'scoring_round.reopened',
        targetType: 'scoring_round',
        targetId: round.id,
        orgUnitId: round.orgUnitId,
        before: { status: round.status },
        after: { status: 'scoring', claimId: claim.id, objectionId: id },
      })
      await recordAudit(tx, caller, {
        action: 'claim.rescore',
        targetType: 'claim',
        targetId: claim.id,
        orgUnitId: claim.orgUnitId,
        before: {
          status: 'scored',
          attempt: claim.attempt,
          result: claim.result === null ? null : formatCents(claim.result),
        },
        after: { status: 'scoring', attempt: claim.attempt + 1 },
      })
    }
    const out = objectionOut(resolved, tz)
    await recordAudit(tx, caller, {
      action: 'objection.resolved',
      targetType: 'objection',
      targetId: id,
      orgUnitId: round.orgUnitId,
      before: { status: 'open' },
      after: out,
    })
    await recordEvent(tx, {
      type: 'objection.resolved',
      orgUnitId: round.orgUnitId,
      subject: { type: 'objection', id },
      memberId: out.memberId,
      data: out,
    })
    return out
  })
}

/**
 * A round's objections for whoever sees its results (secretaries answer them from here). Before the first
 * close there is nothing to object to, so the list is simply empty.
 */
export async function listObjections(
  db: Db,
  caller: Caller,
  q: { roundId: string; status?: 'open' | 'upheld' | 'rescore' },
  tz: string,
) {
  const round = await requireRoundVisible(db, caller, q.roundId)
  const found = await repo.listObjectionRows(db, round.id, q.status)
  return { items: found.map((o) => objectionOut(o, tz)), nextCursor: null }
}
