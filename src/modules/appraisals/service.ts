import { sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import { type Caller, requireMemberAtHome, requireUnitInScope } from '../../shared/authz'
import { DomainError, forbidden, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import { memberYearGrade } from '../reports'
import * as repo from './repo'
import type {
  Appraisal,
  AppraisalPublication,
  ListAppraisalsQuery,
  ListMyAppraisalsQuery,
  PublishAppraisalsBody,
  RecordAppraisalBody,
} from './schemas'

/** 评优 is the branch's decision: its secretaries (and those above), admin counts as every role. */
export const APPRAISAL_ROLES = ['secretary'] as const

function toAppraisal(
  current: repo.AppraisalRow,
  published: boolean,
  history: repo.AppraisalRow[],
): Appraisal {
  return {
    ...repo.toRecord(current),
    memberId: current.memberId,
    memberName: current.memberName,
    orgUnitId: current.orgUnitId,
    year: current.year,
    published,
    history: history.filter((h) => h.id !== current.id).map(repo.toRecord),
  }
}

/**
 * Records the member's outcome for the year, with the year's net points and grade at this moment beside it. The
 * same outcome and note again changes nothing (the current appraisal is answered); any other change appends a
 * new appraisal superseding the current one, and once the year's list is published above the member it needs a
 * `reason` (400 without; the database refuses it too). The member's appraisals of a year are taken one at a time
 * (a transaction-scoped lock on member and year).
 */
export async function recordAppraisal(
  db: Db,
  caller: Caller,
  memberId: string,
  year: number,
  body: RecordAppraisalBody,
  timeZone: string,
): Promise<Appraisal> {
  const member = await requireMemberAtHome(db, caller, memberId, APPRAISAL_ROLES, { allowSelf: false })
  return transaction(db, async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`appraisal:${memberId}:${year}`}, 0))`,
    )
    const chain = await repo.chainOf(tx, memberId, year)
    const current = chain[0]
    const note = body.note ?? null
    if (current && current.outcome === body.outcome && current.note === note) {
      return toAppraisal(current, await repo.isPublished(tx, current.orgUnitId, year), chain)
    }
    const published = current ? await repo.isPublished(tx, current.orgUnitId, year) : false
    if (current && published && !body.reason) {
      throw validation(
        'reason',
        "is required: the year's appraisals are published, so a change needs a reason",
      )
    }
    const { pointsCents, grade } = await memberYearGrade(tx, member, year, timeZone)
    const id = await repo.insertAppraisal(tx, {
      memberId,
      orgUnitId: member.orgUnitId,
      year,
      outcome: body.outcome,
      note,
      reason: body.reason ?? null,
      pointsCents,
      grade,
      supersedesId: current?.id ?? null,
      recordedBy: caller.userId,
    })
    const after = await repo.chainOf(tx, memberId, year)
    const answer = toAppraisal(after[0]!, await repo.isPublished(tx, member.orgUnitId, year), after)
    await recordAudit(tx, caller, {
      action: current ? 'appraisal.change' : 'appraisal.record',
      targetType: 'appraisal',
      targetId: id,
      orgUnitId: member.orgUnitId,
      before: current ? repo.toRecord(current) : undefined,
      after: { ...repo.toRecord(after[0]!), memberId, year },
    })
    return answer
  })
}

/** The current appraisal of each member appraised in the unit's subtree for the year, with earlier ones. */
export async function listAppraisals(
  db: Db,
  caller: Caller,
  q: ListAppraisalsQuery,
  opts: { all?: boolean } = {},
): Promise<{ items: Appraisal[]; nextCursor: string | null }> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, APPRAISAL_ROLES)
  const limit = opts.all ? null : pageLimit(q.limit)
  const after = opts.all ? undefined : decodeCursor(q.cursor, ['text', 'uuid'])
  const found = await repo.listCurrent(db, unit.path, q.year, after, limit === null ? null : limit + 1)
  const histories = await repo.historiesOf(
    db,
    found.map((r) => r.memberId),
    q.year,
  )
  return toPage(
    found,
    limit ?? found.length,
    (r) => [r.memberName, r.memberId],
    (r) => toAppraisal(r, r.published, histories.get(r.memberId) ?? []),
  )
}

/**
 * Publishes (公示) the unit's appraisal list for the year: from then on an outcome of a member below it changes
 * only with a reason. Publishing again is 409 (a publication is never withdrawn).
 */
export async function publishAppraisals(
  db: Db,
  caller: Caller,
  body: PublishAppraisalsBody,
): Promise<AppraisalPublication> {
  const unit = await requireUnitInScope(db, caller, body.orgUnitId, APPRAISAL_ROLES)
  return transaction(db, async (tx) => {
    const inserted = await repo.insertPublication(tx, {
      orgUnitId: unit.id,
      year: body.year,
      publishedBy: caller.userId,
    })
    if (!inserted)
      throw new DomainError('conflict', `the ${body.year} appraisals of this unit are already published`)
    const publication: AppraisalPublication = {
      orgUnitId: unit.id,
      year: body.year,
      publishedBy: caller.userId,
      publishedAt: formatInstant(inserted.publishedAt),
      appraisals: await repo.countCurrent(tx, unit.path, body.year),
    }
    await recordAudit(tx, caller, {
      action: 'appraisal.publish',
      targetType: 'org_unit',
      targetId: unit.id,
      orgUnitId: unit.id,
      after: publication,
    })
    return publication
  })
}

/**
 * The caller's own appraisals (a member; others 403): for each year whose list is published (公示) for their unit,
 * the current outcome with the points and grade kept beside it, and the earlier outcomes it superseded. Before
 * publication a year is not shown: until then it is the branch's deliberation.
 */
export async function listMyAppraisals(
  db: Db,
  caller: Caller,
  q: ListMyAppraisalsQuery,
): Promise<{ items: Appraisal[]; nextCursor: string | null }> {
  const memberId = caller.memberId
  if (!memberId) throw forbidden()
  const limit = pageLimit(q.limit)
  const after = decodeCursor(q.cursor, ['int'])
  const found = await repo.listPublishedOf(db, memberId, after?.[0], limit + 1)
  const histories = new Map<number, repo.AppraisalRow[]>()
  for (const r of found.slice(0, limit)) {
    histories.set(r.year, (await repo.historiesOf(db, [memberId], r.year)).get(memberId) ?? [])
  }
  return toPage(
    found,
    limit,
    (r) => [r.year],
    (r) => toAppraisal(r, true, histories.get(r.year) ?? []),
  )
}
