import { sql } from 'drizzle-orm'
import { expect } from 'vitest'
import { type Db, one } from '../../src/db/client'
import { localDate } from '../../src/shared/time'
import type { TestApp } from './app'
import { createMemberUser, createUser, type World } from './factories'

/** Dates in the service zone: claims must fall in the rubric's year and not in the future. */
export const today = () => localDate(new Date(), 'Asia/Shanghai')
export const thisYear = () => Number(today().slice(0, 4))
export const yearStart = () => `${thisYear()}-01-01`
export const yearEnd = () => `${thisYear()}-12-31`

/** An active rubric from the default template on `unitId` (branch A by default), made through the API. */
export async function activeRubric(
  t: TestApp,
  w: World,
  unitId = w.branchA,
  as = w.secretaryA,
): Promise<string> {
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/rubrics',
    as,
    payload: { orgUnitId: unitId, year: thisYear(), name: '2026 细则', fromTemplate: 'default' },
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  const activated = await t.call({ method: 'POST', url: `/api/v1/rubrics/${id}/activate`, as })
  expect(activated.statusCode, activated.body).toBe(200)
  return id
}

export async function claim(
  t: TestApp,
  as: string,
  body: {
    memberId: string
    rubricId: string
    itemCode: string
    quantity?: string | number
    occurredOn?: string
  },
): Promise<{ id: string; ceiling: string; status: string }> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/claims',
    as,
    payload: { occurredOn: today(), description: 'did it', ...body },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

/** Panel of branch A: the secretary and two committee members (panelists). */
export async function panel(db: Db, w: World): Promise<string[]> {
  const second = await createUser(db, { grants: [['panelist', w.branchA]] })
  return [w.secretaryA, w.panelistA, second]
}

export async function openRound(
  t: TestApp,
  w: World,
  body: { rubricId: string; panelUserIds: string[]; [k: string]: unknown },
) {
  // Same-day publicity (0 days) lets a test finalize at once; it is below the default 公示 floor of one day, so
  // the district lowers the floor for its units first, as an admin would (the floor itself: publicity.test.ts).
  if (body.publicityDays === 0)
    await t.db.execute(sql`update org_units set min_publicity_days = 0 where id = ${w.district}`)
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/scoring-rounds',
    as: w.secretaryA,
    payload: { orgUnitId: w.branchA, periodStart: yearStart(), periodEnd: yearEnd(), ...body },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as { id: string; status: string; claims: { claimId: string }[]; [k: string]: unknown }
}

export function score(
  t: TestApp,
  as: string,
  roundId: string,
  claimId: string,
  points: string,
  extra: Record<string, unknown> = {},
) {
  return t.call({
    method: 'PUT',
    url: `/api/v1/scoring-rounds/${roundId}/claims/${claimId}/score`,
    as,
    payload: { time: 4, content: 4, quality: 4, points, ...extra },
  })
}

export async function scoreOk(t: TestApp, as: string, roundId: string, claimId: string, points: string) {
  const res = await score(t, as, roundId, claimId, points)
  expect(res.statusCode, res.body).toBe(200)
}

/** Time passes: the round's publicity ends now (the only way a test can wait out N days). */
export async function endPublicity(db: Db, roundId: string): Promise<void> {
  await db.execute(
    sql`update scoring_rounds set publicity_ends_at = now() - interval '1 second' where id = ${roundId}`,
  )
}

export function finalize(t: TestApp, as: string, roundId: string, key: string = crypto.randomUUID()) {
  return t.call({
    method: 'POST',
    url: `/api/v1/scoring-rounds/${roundId}/finalize`,
    as,
    headers: { 'idempotency-key': key },
  })
}

export async function countRows(db: Db, table: string, where = sql`true`): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from ${sql.identifier(table)} where ${where}`,
  )
  return Number(row!.n)
}

export { createMemberUser }

/** A verified activity (through the activities API) with these participants' hours. */
export async function verifiedActivity(
  t: TestApp,
  w: World,
  opts: { participants: [string, string][]; rubricItemCode?: string; unitId?: string },
): Promise<string> {
  const ends = new Date(Date.now() - 60 * 60 * 1000)
  const starts = new Date(ends.getTime() - 4 * 60 * 60 * 1000)
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as: w.gridWorkerA,
    payload: {
      orgUnitId: opts.unitId ?? w.gridA,
      title: '社区环境整治',
      startsAt: starts.toISOString(),
      endsAt: ends.toISOString(),
      ...(opts.rubricItemCode ? { rubricItemCode: opts.rubricItemCode } : {}),
    },
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  for (const [memberId, hours] of opts.participants) {
    const res = await t.call({
      method: 'PUT',
      url: `/api/v1/activities/${id}/participants/${memberId}`,
      as: w.gridWorkerA,
      payload: { hours },
    })
    expect(res.statusCode, res.body).toBeLessThan(300)
  }
  const verified = await t.call({ method: 'POST', url: `/api/v1/activities/${id}/verify`, as: w.gridWorkerA })
  expect(verified.statusCode, verified.body).toBe(200)
  return id
}

/** A service request taken, completed by `member` and confirmed (through the activities API). */
export async function confirmedRequest(
  t: TestApp,
  w: World,
  member: { memberId: string; userId: string },
): Promise<string> {
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/service-requests',
    as: w.gridWorkerA,
    payload: { orgUnitId: w.gridA, requesterName: '王阿姨', title: '代买药品', description: '腿脚不便' },
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  const steps: [string, string, Record<string, unknown>][] = [
    ['dispatch', w.gridWorkerA, { memberId: member.memberId }],
    ['accept', member.userId, {}],
    ['complete', member.userId, { hours: '1.50', note: '已送达' }],
    ['confirm', w.gridWorkerA, { rating: 5 }],
  ]
  for (const [step, as, payload] of steps) {
    const res = await t.call({ method: 'POST', url: `/api/v1/service-requests/${id}/${step}`, as, payload })
    expect(res.statusCode, `${step}: ${res.body}`).toBe(200)
  }
  return id
}
