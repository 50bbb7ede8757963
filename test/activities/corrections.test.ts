import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { hoursSummary } from '../../src/modules/activities/reporting'
import { hoursByMonth } from '../../src/modules/reports/breakdowns-repo'
import { localDate } from '../../src/shared/time'
import { createPastActivity, recordHours, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  createMember,
  createMemberUser,
  createUser,
  createWorld,
  uniq,
  type World,
} from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { activeRubric, endPublicity, finalize, openRound, scoreOk } from '../helpers/scoring'

/**
 * 更正 (issue 18): a secretary corrects verified hours. The corrected figure is what counts from then on (service
 * hours and their CSV, certificates issued afterwards, activity totals, reports and their rollups), the original
 * stays visible, the corrections are append-only in the database, and the claim drafted from the participation
 * follows while unscored.
 */

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

// The activities start a few hours before now: between 00:00 and 04:00 in Shanghai that is yesterday.
const since = () => localDate(new Date(Date.now() - 5 * 3_600_000), 'Asia/Shanghai')
const today = () => localDate(new Date(), 'Asia/Shanghai')

function correct(
  as: string,
  activityId: string,
  memberId: string,
  body: Record<string, unknown>,
  key: string | null = uniq('fix'),
) {
  return t.call({
    method: 'POST',
    url: `/api/v1/activities/${activityId}/participants/${memberId}/corrections`,
    as,
    payload: body,
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  })
}

async function get(as: string, url: string) {
  const res = await t.call({ method: 'GET', url: `/api/v1${url}`, as })
  expect(res.statusCode, res.body).toBe(200)
  return res
}

async function certificate(as: string, memberId: string) {
  const res = await t.call({
    method: 'POST',
    url: `/api/v1/members/${memberId}/service-certificates`,
    as,
    headers: { 'idempotency-key': uniq('cert') },
    payload: { from: since(), to: today() },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

const correctionRows = async (activityId: string) =>
  Number(
    (await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from activity_hours_corrections where activity_id = ${activityId}`,
    ))!.n,
  )

/** What the reports say of branch A now: summary, ranking hours of `memberId`, the activity's row, the month. */
async function reports(w: World, memberId: string, activityId: string) {
  const period = `orgUnitId=${w.branchA}&from=${since()}&to=${today()}`
  const summary = (await get(w.secretaryA, `/reports/summary?${period}`)).json()
  const year = today().slice(0, 4)
  const ranking = (await get(w.secretaryA, `/reports/ranking?orgUnitId=${w.branchA}&year=${year}`)).json()
  const byActivity = (await get(w.secretaryA, `/reports/by-activity?${period}`)).json()
  const monthly = (await get(w.secretaryA, `/reports/monthly?orgUnitId=${w.branchA}&year=${year}`)).json()
  const path = (await one<{ path: string }>(t.db, sql`select path from org_units where id = ${w.branchA}`))!
    .path
  // The rollups the summary reads and the tables agree (the correction moved the rollups by the difference).
  expect(await hoursSummary(t.db, path, since(), today(), true)).toEqual(
    await hoursSummary(t.db, path, since(), today(), false),
  )
  const range = { from: `${year}-01-01`, to: `${year}-12-31` }
  expect(Object.fromEntries(await hoursByMonth(t.db, path, range, true))).toEqual(
    Object.fromEntries(await hoursByMonth(t.db, path, range, false)),
  )
  return {
    summary: summary.serviceHours as string,
    ranking: ranking.items.find((r: { memberId: string }) => r.memberId === memberId)?.hours as string,
    activity: byActivity.items.find((r: { activityId: string }) => r.activityId === activityId)
      ?.hours as string,
    month: monthly.items.find((m: { month: string }) => m.month === since().slice(0, 7))
      ?.serviceHours as string,
  }
}

describe('correctServiceHours', () => {
  it('the corrected figure counts everywhere from then on; the original and each correction stay visible', async () => {
    const w = await createWorld(t.db)
    const m = await createMemberUser(t.db, w.branchA, { name: '李秀英' })
    const other = await createMember(t.db, w.branchA)
    const id = await verifiedActivity(t, w.admin, w.branchA, [
      [m.memberId, '3.00'],
      [other, '2.00'],
    ])
    const before = await certificate(w.secretaryA, m.memberId)
    expect(before.totalHours).toBe('3.00')
    expect(await reports(w, m.memberId, id)).toEqual({
      summary: '5.00',
      ranking: '3.00',
      activity: '5.00',
      month: '5.00',
    })

    const res = await correct(w.secretaryA, id, m.memberId, {
      hours: '1.25',
      reason: '10:30 提前离开，漏登签退',
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({
      activityId: id,
      memberId: m.memberId,
      previousHours: '3.00',
      hours: '1.25',
      verifiedHours: '3.00',
      reason: '10:30 提前离开，漏登签退',
      correctedByUserId: w.secretaryA,
      claimId: null,
      claimStatus: null,
      claimFollowed: false,
    })

    // Service hours (JSON and CSV) of the member: the corrected figure.
    const hours = (await get(m.userId, `/members/${m.memberId}/service-hours`)).json()
    expect(hours.totalHours).toBe('1.25')
    expect(hours.records.map((r: { hours: string }) => r.hours)).toEqual(['1.25'])
    const csv = (await get(w.secretaryA, `/members/${m.memberId}/service-hours.csv`)).body
    expect(csv).toContain(`,${id},`)
    expect(csv.trim().endsWith(',1.25')).toBe(true)
    // The activity: current hours beside the verified ones; its total moves.
    const activity = (await get(w.secretaryA, `/activities/${id}`)).json()
    expect(activity.totalHours).toBe('3.25')
    expect(activity.participants.find((p: { memberId: string }) => p.memberId === m.memberId)).toMatchObject({
      hours: '1.25',
      verifiedHours: '3.00',
      verified: true,
      corrections: 1,
    })
    expect(activity.participants.find((p: { memberId: string }) => p.memberId === other)).toMatchObject({
      hours: '2.00',
      verifiedHours: '2.00',
      corrections: 0,
    })
    // A certificate issued now certifies 1.25; the one issued before keeps its snapshot.
    expect((await certificate(w.secretaryA, m.memberId)).totalHours).toBe('1.25')
    const reprint = await get(w.secretaryA, `/members/${m.memberId}/service-certificates/${before.id}`)
    expect(reprint.json().totalHours).toBe('3.00')
    // Reports: the summary, the ranking, the activity's row and the month, 1.75 hours fewer.
    expect(await reports(w, m.memberId, id)).toEqual({
      summary: '3.25',
      ranking: '1.25',
      activity: '3.25',
      month: '3.25',
    })
    // Audited with the figures before and after.
    const audit = await one<{
      before: { hoursCents: number }
      after: { hoursCents: number; reason: string }
    }>(
      t.db,
      sql`select before, after from audit_events where action = 'activity.hours.correct' and target_id = ${id}`,
    )
    expect(audit).toMatchObject({
      before: { memberId: m.memberId, hoursCents: 300 },
      after: { memberId: m.memberId, hoursCents: 125 },
    })

    // A second correction starts from the first; the list shows both, oldest first, and the verified figure.
    const again = await correct(w.secretaryA, id, m.memberId, { hours: 2.5, reason: '核对签到表后再更正' })
    expect(again.statusCode, again.body).toBe(201)
    expect(again.json()).toMatchObject({ previousHours: '1.25', hours: '2.50', verifiedHours: '3.00' })
    for (const as of [m.userId, w.secretaryA, w.gridWorkerA]) {
      const list = (await get(as, `/activities/${id}/participants/${m.memberId}/corrections`)).json()
      expect(list).toMatchObject({
        activityId: id,
        memberId: m.memberId,
        verifiedHours: '3.00',
        hours: '2.50',
      })
      expect(
        list.items.map((c: { previousHours: string; hours: string }) => [c.previousHours, c.hours]),
      ).toEqual([
        ['3.00', '1.25'],
        ['1.25', '2.50'],
      ])
      expect(list.items[0]).toMatchObject({
        reason: '10:30 提前离开，漏登签退',
        correctedByUserId: w.secretaryA,
      })
    }
    expect((await get(m.userId, `/members/${m.memberId}/service-hours`)).json().totalHours).toBe('2.50')
    expect((await reports(w, m.memberId, id)).summary).toBe('4.50')
  })

  it('is append-only in the database, and every writer follows the chain', async () => {
    const w = await createWorld(t.db)
    const id = await verifiedActivity(t, w.admin, w.branchA, [[w.memberA.memberId, '2.00']])
    expect(
      (await correct(w.secretaryA, id, w.memberA.memberId, { hours: '1.00', reason: '更正' })).statusCode,
    ).toBe(201)
    const where = sql`activity_id = ${id}`
    expect(
      await refusal(
        t.db.execute(sql`update activity_hours_corrections set hours_cents = 200 where ${where}`),
      ),
    ).toMatchObject({ code: '55000' })
    expect(
      await refusal(t.db.execute(sql`delete from activity_hours_corrections where ${where}`)),
    ).toMatchObject({
      code: '55000',
    })
    const insert = (previous: number, hours: number, activityId = id) =>
      t.db.execute(
        sql`insert into activity_hours_corrections
              (activity_id, member_id, previous_hours_cents, hours_cents, reason, corrected_by)
            values (${activityId}, ${w.memberA.memberId}, ${previous}, ${hours}, '直接写入', ${w.secretaryA})`,
      )
    // Not from the current figure (1.00), beyond the length (3.00), or at an activity still open.
    expect(await refusal(insert(200, 150))).toMatchObject({
      code: '23514',
      constraint: 'activity_hours_corrections_previous_chk',
    })
    expect(await refusal(insert(100, 301))).toMatchObject({
      code: '23514',
      constraint: 'activity_hours_corrections_length_chk',
    })
    const open = await createPastActivity(t, w.admin, w.branchA)
    expect((await recordHours(t, w.admin, open, w.memberA.memberId, '1.00')).statusCode).toBe(201)
    expect(await refusal(insert(100, 50, open))).toMatchObject({
      code: '23514',
      constraint: 'activity_hours_corrections_verified_chk',
    })
    // The participation itself stays as verified (the activity's guard), whatever the corrections.
    expect(
      await refusal(t.db.execute(sql`update activity_participants set hours_cents = 50 where ${where}`)),
    ).toMatchObject({ constraint: 'activity_participants_verified_chk' })
    expect(await correctionRows(id)).toBe(1)
  })

  it('refuses a secretary who took part, grid workers, an open activity, the same figure and too many hours', async () => {
    const w = await createWorld(t.db)
    // A secretary of branch A who is also a member there and took part in the activity.
    const secretaryMember = await createMember(t.db, w.branchA, { name: '刘秀珍' })
    const participantSecretary = await createUser(t.db, {
      memberId: secretaryMember,
      grants: [['secretary', w.branchA]],
    })
    const id = await verifiedActivity(t, w.admin, w.branchA, [
      [w.memberA.memberId, '2.00'],
      [secretaryMember, '2.00'],
    ])
    for (const memberId of [w.memberA.memberId, secretaryMember]) {
      const res = await correct(participantSecretary, id, memberId, { hours: '1.00', reason: '更正' })
      expect(res.statusCode, res.body).toBe(403)
      expect(res.json()).toMatchObject({ code: 'recused' })
      expect(res.json().detail).toMatch(/took part/)
    }
    const grid = await correct(w.gridWorkerA, id, w.memberA.memberId, { hours: '1.00', reason: '更正' })
    expect(grid.statusCode).toBe(403)
    const outside = await correct(w.secretaryB, id, w.memberA.memberId, { hours: '1.00', reason: '更正' })
    expect(outside.statusCode).toBe(404)

    const open = await createPastActivity(t, w.admin, w.branchA)
    expect((await recordHours(t, w.admin, open, w.memberA.memberId, '1.00')).statusCode).toBe(201)
    const unverified = await correct(w.secretaryA, open, w.memberA.memberId, {
      hours: '0.50',
      reason: '更正',
    })
    expect(unverified.statusCode).toBe(409)
    expect(unverified.json()).toMatchObject({ code: 'invalid_state' })
    expect(unverified.json().detail).toMatch(/recordParticipation/)

    const same = await correct(w.secretaryA, id, w.memberA.memberId, { hours: '2.00', reason: '更正' })
    expect(same.statusCode).toBe(409)
    expect(same.json().detail).toMatch(/already 2\.00/)
    const long = await correct(w.secretaryA, id, w.memberA.memberId, { hours: '3.01', reason: '更正' })
    expect(long.statusCode).toBe(422)
    expect(long.json()).toMatchObject({ code: 'out_of_range', maxHours: '3.00' })
    const negative = await correct(w.secretaryA, id, w.memberA.memberId, { hours: '-1.00', reason: '更正' })
    expect(negative.statusCode).toBe(400)
    const blank = await correct(w.secretaryA, id, w.memberA.memberId, { hours: '1.00', reason: '   ' })
    expect(blank.statusCode).toBe(400)
    const stranger = await createMember(t.db, w.branchA)
    const absent = await correct(w.secretaryA, id, stranger, { hours: '1.00', reason: '更正' })
    expect(absent.statusCode).toBe(404)
    const noKey = await correct(w.secretaryA, id, w.memberA.memberId, { hours: '1.00', reason: '更正' }, null)
    expect(noKey.statusCode).toBe(400)
    expect(await correctionRows(id)).toBe(0)
    expect(await correctionRows(open)).toBe(0)
  })

  it('is idempotent: the same key and body replay the answer, another body with the key is refused', async () => {
    const w = await createWorld(t.db)
    const id = await verifiedActivity(t, w.admin, w.branchA, [[w.memberA.memberId, '2.00']])
    const key = uniq('fix')
    const body = { hours: '1.50', reason: '更正' }
    const first = await correct(w.secretaryA, id, w.memberA.memberId, body, key)
    const replay = await correct(w.secretaryA, id, w.memberA.memberId, body, key)
    expect(first.statusCode, first.body).toBe(201)
    expect(replay.statusCode).toBe(201)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(replay.json()).toEqual(first.json())
    const reused = await correct(w.secretaryA, id, w.memberA.memberId, { hours: '1.00', reason: '更正' }, key)
    expect(reused.statusCode).toBe(409)
    expect(reused.json().code).toBe('idempotency_key_reused')
    expect(await correctionRows(id)).toBe(1)
    expect((await get(w.secretaryA, `/members/${w.memberA.memberId}/service-hours`)).json().totalHours).toBe(
      '1.50',
    )
  })
})

describe('the claim drafted from the participation', () => {
  const claimOf = (activityId: string, memberId: string) =>
    one<{ id: string; status: string; quantity: string; ceiling: string }>(
      t.db,
      sql`select id, status, quantity::text, ceiling::text from claims
          where member_id = ${memberId} and source = 'activity' and evidence->'activityIds' ? ${activityId}`,
    )

  it('follows while submitted, and is withdrawn when the hours go to 0.00 (the record struck)', async () => {
    const w = await createWorld(t.db)
    await activeRubric(t, w)
    const m = await createMemberUser(t.db, w.branchA)
    const id = await createPastActivity(t, w.admin, w.branchA, { rubricItemCode: 'EPIDEMIC' })
    expect((await recordHours(t, w.admin, id, m.memberId, '3.00')).statusCode).toBe(201)
    expect(
      (await t.call({ method: 'POST', url: `/api/v1/activities/${id}/verify`, as: w.admin })).statusCode,
    ).toBe(200)
    const drafted = (await claimOf(id, m.memberId))!
    expect(drafted).toMatchObject({ status: 'submitted', quantity: '300', ceiling: '300' })

    const fixed = await correct(w.secretaryA, id, m.memberId, { hours: '2.00', reason: '更正' })
    expect(fixed.statusCode, fixed.body).toBe(201)
    expect(fixed.json()).toMatchObject({ claimId: drafted.id, claimStatus: 'submitted', claimFollowed: true })
    expect(await claimOf(id, m.memberId)).toMatchObject({
      status: 'submitted',
      quantity: '200',
      ceiling: '200',
    })

    const struck = await correct(w.secretaryA, id, m.memberId, { hours: 0, reason: '未实际参加，误登' })
    expect(struck.statusCode, struck.body).toBe(201)
    expect(struck.json()).toMatchObject({
      previousHours: '2.00',
      hours: '0.00',
      claimId: drafted.id,
      claimStatus: 'withdrawn',
      claimFollowed: true,
    })
    expect((await claimOf(id, m.memberId))!.status).toBe('withdrawn')
    // A struck record: 0.00 hours everywhere, still shown with the figure as verified; not certified.
    const hours = (await get(m.userId, `/members/${m.memberId}/service-hours`)).json()
    expect(hours.totalHours).toBe('0.00')
    const cert = await certificate(w.secretaryA, m.memberId)
    expect(cert).toMatchObject({ totalHours: '0.00', records: [] })
    const activity = (await get(w.secretaryA, `/activities/${id}`)).json()
    expect(activity.participants[0]).toMatchObject({ hours: '0.00', verifiedHours: '3.00', corrections: 2 })
    expect((await reports(w, m.memberId, id)).summary).toBe('0.00')
    // The withdrawn claim backs nothing any more: a later correction names no claim.
    const back = await correct(w.secretaryA, id, m.memberId, { hours: '1.00', reason: '核实后恢复' })
    expect(back.json()).toMatchObject({ claimId: null, claimStatus: null, claimFollowed: false })
  })

  it('a posted claim is left alone, and the answer names it for the secretary to decide on an adjustment', async () => {
    const w = await createWorld(t.db)
    const rubricId = await activeRubric(t, w)
    const m = await createMemberUser(t.db, w.branchA)
    const id = await createPastActivity(t, w.admin, w.branchA, { rubricItemCode: 'EPIDEMIC' })
    expect((await recordHours(t, w.admin, id, m.memberId, '3.00')).statusCode).toBe(201)
    expect(
      (await t.call({ method: 'POST', url: `/api/v1/activities/${id}/verify`, as: w.admin })).statusCode,
    ).toBe(200)
    const drafted = (await claimOf(id, m.memberId))!
    const round = await openRound(t, w, {
      rubricId,
      panelUserIds: [w.secretaryA],
      publicityDays: 0,
      quorum: 1,
    })
    expect(round.claims.map((c) => c.claimId)).toEqual([drafted.id])
    await scoreOk(t, w.secretaryA, round.id, drafted.id, '3.00')
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    await endPublicity(t.db, round.id)
    expect((await finalize(t, w.secretaryA, round.id)).statusCode).toBe(200)
    expect((await claimOf(id, m.memberId))!.status).toBe('posted')

    const res = await correct(w.secretaryA, id, m.memberId, { hours: '1.00', reason: '更正' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({
      hours: '1.00',
      claimId: drafted.id,
      claimStatus: 'posted',
      claimFollowed: false,
    })
    expect(await claimOf(id, m.memberId)).toMatchObject({ status: 'posted', quantity: '300', ceiling: '300' })
    // The hours are corrected all the same.
    expect((await get(m.userId, `/members/${m.memberId}/service-hours`)).json().totalHours).toBe('1.00')
    const touched = await rows(
      t.db,
      sql`select action from audit_events where target_id = ${drafted.id}
            and action in ('claim.hours_corrected', 'claim.withdrawn')`,
    )
    expect(touched).toEqual([])
  })
})
