import type { Db } from '../../db/client'
import type { Caller } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { invalidState } from '../../shared/errors'
import { decodeCursor, encodeCursor, pageLimit } from '../../shared/pagination'
import { objectionOut } from './objections'
import * as repo from './repo'
import { requireRoundVisible } from './rounds'

/**
 * The round's results, once it has closed: to the branch's members, its panel and secretaries. Scores of a
 * claim show only once its scoring is closed (a claim back with the panel shows none, and no result).
 * `all` returns every row (CSV); otherwise keyset pages by claim id.
 */
export async function getRoundResults(
  db: Db,
  caller: Caller,
  roundId: string,
  q: { limit?: number; cursor?: string; all?: boolean },
  tz: string,
) {
  const round = await requireRoundVisible(db, caller, roundId)
  if (!round.closedAt) throw invalidState('results exist once the panel’s scoring is closed')
  const limit = q.all ? Number.MAX_SAFE_INTEGER : pageLimit(q.limit)
  const after = decodeCursor(q.cursor, ['uuid'])?.[0]
  const all = (await repo.roundClaims(db, round.id)).filter(
    (c) => after === undefined || c.id > String(after),
  )
  const page = all.slice(0, limit)
  const ids = page.map((c) => c.id)
  const shown = page.filter((c) => c.status === 'scored' || c.status === 'posted').map((c) => c.id)
  const [scores, objections, names] = await Promise.all([
    repo.scoresOf(db, shown),
    repo.objectionsOf(db, ids),
    repo.memberNames(
      db,
      page.map((c) => c.memberId),
    ),
  ])
  const maybe = (v: number | null) => (v === null ? null : formatCents(v))
  const items = page.map((c) => ({
    claimId: c.id,
    memberId: c.memberId,
    memberName: names.get(c.memberId) ?? '',
    itemCode: c.itemCode,
    status: c.status,
    ceiling: formatCents(c.ceiling),
    result: maybe(c.result),
    spread: maybe(c.spread),
    divergent: c.divergent,
    awarded: maybe(c.awarded),
    cappedAmount: maybe(c.cappedAmount),
    capReason: c.capReason,
    scores: scores
      .filter((s) => s.claimId === c.id)
      .map((s) => ({
        panelistUserId: s.panelistUserId,
        time: s.time,
        content: s.content,
        quality: s.quality,
        points: formatCents(s.points),
        comment: s.comment,
      })),
    objections: objections
      .filter((o) => o.claimId === c.id)
      .map((o) => {
        const { claimId: _c, roundId: _r, memberId: _m, ...rest } = objectionOut(o, tz)
        return rest
      }),
  }))
  const last = page[page.length - 1]
  return { items, nextCursor: all.length > limit && last ? encodeCursor([last.id]) : null }
}
