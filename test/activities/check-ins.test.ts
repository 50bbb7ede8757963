import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import {
  CHECK_IN_STEP_SECONDS,
  CheckInCodes,
  checkInCodeAt,
  checkInKey,
  checkInQrPayload,
  timeStepAt,
} from '../../src/modules/activities/check-in-codes'
import { checkIn, checkOut } from '../../src/modules/activities/check-ins'
import { grantsLoader } from '../../src/plugins/auth/grants'
import type { Caller } from '../../src/shared/authz'
import { auditCount, verify } from '../helpers/activities'
import { buildTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'

const MIN = 60_000
const HOUR = 60 * MIN
const key = checkInKey(TEST_JWT_SECRET)

let t: TestApp
let t2: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  // A second app on its own pool: another process of the same deployment.
  t2 = await buildTestApp()
  w = await createWorld(t.db)
})
afterAll(async () => {
  await t.app.close()
  await t2.app.close()
})

const codeNow = (activityId: string) => checkInCodeAt(key, activityId, timeStepAt(Date.now()))

async function activity(startsAt: number, endsAt: number, orgUnitId = w.branchA): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as: w.admin,
    payload: {
      orgUnitId,
      title: '清理楼道小广告',
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

/** Running now: started an hour ago, ends in two. */
const runningActivity = () => activity(Date.now() - HOUR, Date.now() + 2 * HOUR)
/** Started four hours ago, ended an hour ago (3 h): staff check people in and out with `at` inside it. */
const pastActivity = async () => {
  const startsAt = Date.now() - 4 * HOUR
  return { id: await activity(startsAt, startsAt + 3 * HOUR), startsAt, endsAt: startsAt + 3 * HOUR }
}

const post = (as: string, activityId: string, what: 'check-ins' | 'check-outs', payload: object, app = t) =>
  app.call({ method: 'POST', url: `/api/v1/activities/${activityId}/${what}`, as, payload })

const staffIn = (activityId: string, memberId: string, at: number, as = w.gridWorkerA) =>
  post(as, activityId, 'check-ins', { memberId, reason: '没有智能手机', at: new Date(at).toISOString() })
const staffOut = (activityId: string, memberId: string, at: number, as = w.gridWorkerA) =>
  post(as, activityId, 'check-outs', { memberId, reason: '没有智能手机', at: new Date(at).toISOString() })

async function participation(activityId: string, memberId: string) {
  return one<{ hoursCents: string; recordedBy: string }>(
    t.db,
    sql`select hours_cents as "hoursCents", recorded_by as "recordedBy" from activity_participants
        where activity_id = ${activityId} and member_id = ${memberId}`,
  )
}

describe('check-in codes', () => {
  it('a code is six digits, HMAC of the activity and the minute, and rotates: accepted one step late, not two', () => {
    let now = Date.UTC(2026, 11, 5, 0, 24, 10)
    const codes = new CheckInCodes(key, () => now)
    const id = '0b6a9f3e-2a51-4c4d-9d8e-7f1a2b3c4d5e'
    const issued = codes.issue(id)
    expect(issued.code).toMatch(/^\d{6}$/)
    expect(issued.code).toBe(checkInCodeAt(key, id, timeStepAt(now)))
    expect(issued.qrPayload).toBe(`vp-checkin:${id}:${issued.code}`)
    expect(issued.validFrom.getTime()).toBe(Date.UTC(2026, 11, 5, 0, 24, 0))
    expect(issued.expiresAt.getTime()).toBe(Date.UTC(2026, 11, 5, 0, 26, 0))
    expect(issued.stepSeconds).toBe(CHECK_IN_STEP_SECONDS)
    expect(codes.accepts(id, issued.code)).toBe(true)
    expect(codes.accepts(id, issued.qrPayload)).toBe(true)
    // Another activity's code, and this one for another activity, are refused.
    expect(codes.accepts('1b6a9f3e-2a51-4c4d-9d8e-7f1a2b3c4d5e', issued.code)).toBe(false)
    now += 60_000
    expect(codes.issue(id).code).not.toBe(issued.code)
    expect(codes.accepts(id, issued.code)).toBe(true)
    now += 60_000
    expect(codes.accepts(id, issued.code)).toBe(false)
    // Just before expiresAt it still passes; at expiresAt it does not.
    now = issued.expiresAt.getTime() - 1
    expect(codes.accepts(id, issued.code)).toBe(true)
    now = issued.expiresAt.getTime()
    expect(codes.accepts(id, issued.code)).toBe(false)
  })

  it('every process derives the same key from the same JWT secret, and another secret gives other codes', () => {
    const id = '0b6a9f3e-2a51-4c4d-9d8e-7f1a2b3c4d5e'
    const step = timeStepAt(Date.now())
    expect(checkInCodeAt(checkInKey(TEST_JWT_SECRET), id, step)).toBe(checkInCodeAt(key, id, step))
    const other = checkInKey('another-secret-another-secret-0123456789')
    const differ = [0, 1, 2, 3, 4].filter(
      (i) => checkInCodeAt(other, id, step + i) !== checkInCodeAt(key, id, step + i),
    )
    expect(differ.length).toBeGreaterThan(0)
    // The key is not the JWT secret itself.
    expect(key.toString('utf8')).not.toContain(TEST_JWT_SECRET)
  })

  it('createCheckInCode answers the code any process accepts; before the window or once verified: 409', async () => {
    const id = await runningActivity()
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/activities/${id}/check-in-codes`,
      as: w.gridWorkerA,
    })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.code).toMatch(/^\d{6}$/)
    expect(body.qrPayload).toBe(checkInQrPayload(id, body.code))
    expect(body.stepSeconds).toBe(60)
    expect(Date.parse(body.expiresAt) - Date.parse(body.validFrom)).toBe(2 * 60_000)
    expect(Date.parse(body.validFrom)).toBeLessThanOrEqual(Date.now())
    // The member hands it to the other process.
    const member = await createMemberUser(t.db, w.branchA)
    const checked = await post(member.userId, id, 'check-ins', { code: body.qrPayload }, t2)
    expect(checked.statusCode, checked.body).toBe(201)

    const tomorrow = await activity(Date.now() + 26 * HOUR, Date.now() + 28 * HOUR)
    const early = await t.call({
      method: 'POST',
      url: `/api/v1/activities/${tomorrow}/check-in-codes`,
      as: w.secretaryA,
    })
    expect([early.statusCode, early.json().code]).toEqual([409, 'invalid_state'])
    expect(early.json().detail).toMatch(/2 hours before the start/)

    const past = await pastActivity()
    expect((await staffIn(past.id, w.memberA.memberId, past.startsAt)).statusCode).toBe(201)
    expect((await staffOut(past.id, w.memberA.memberId, past.startsAt + HOUR)).statusCode).toBe(200)
    expect((await verify(t, w.admin, past.id)).statusCode).toBe(200)
    const late = await t.call({
      method: 'POST',
      url: `/api/v1/activities/${past.id}/check-in-codes`,
      as: w.admin,
    })
    expect([late.statusCode, late.json().code]).toEqual([409, 'invalid_state'])
  })
})

describe('checking in', () => {
  it('the member with the current code: 201, an open check-in, audited', async () => {
    const id = await runningActivity()
    const m = await createMemberUser(t.db, w.branchA, { name: '张建国' })
    const res = await post(m.userId, id, 'check-ins', { code: codeNow(id) })
    expect(res.statusCode, res.body).toBe(201)
    const c = res.json()
    expect(c).toMatchObject({
      activityId: id,
      memberId: m.memberId,
      memberName: '张建国',
      checkInMethod: 'code',
      checkedInByUserId: m.userId,
      checkedOutAt: null,
      hours: null,
    })
    expect(Math.abs(Date.parse(c.checkedInAt) - Date.now())).toBeLessThan(60_000)
    expect(await auditCount(t.db, id, 'activity.check_in')).toBe(1)
  })

  it('a code of two steps ago, or a wrong one, is 400 validation_failed on code and writes nothing', async () => {
    const id = await runningActivity()
    const m = await createMemberUser(t.db, w.branchA)
    const old = checkInCodeAt(key, id, timeStepAt(Date.now()) - 2)
    const other = await runningActivity()
    const wrong = codeNow(id) === '000000' ? '111111' : '000000'
    for (const code of [old, codeNow(other), wrong]) {
      const res = await post(m.userId, id, 'check-ins', { code })
      expect([res.statusCode, res.json().code], res.body).toEqual([400, 'validation_failed'])
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'code' })])
    }
    expect(await auditCount(t.db, id)).toBe(1) // activity.create only
    const n = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from activity_check_ins where activity_id = ${id}`,
    )
    expect(Number(n!.n)).toBe(0)
  })

  it('staff check a member in with a reason; without one 400; a member without a code 400 on code', async () => {
    const id = await runningActivity()
    const m = await createMemberUser(t.db, w.branchA)
    const noReason = await post(w.gridWorkerA, id, 'check-ins', { memberId: m.memberId })
    expect([noReason.statusCode, noReason.json().errors?.[0]?.field]).toEqual([400, 'reason'])
    const blank = await post(w.gridWorkerA, id, 'check-ins', { memberId: m.memberId, reason: '   ' })
    expect(blank.statusCode).toBe(400)
    const noCode = await post(m.userId, id, 'check-ins', {})
    expect([noCode.statusCode, noCode.json().errors?.[0]?.field]).toEqual([400, 'code'])
    const ok = await post(w.gridWorkerA, id, 'check-ins', {
      memberId: m.memberId,
      reason: '老人没有智能手机',
    })
    expect(ok.statusCode, ok.body).toBe(201)
    expect(ok.json()).toMatchObject({
      checkInMethod: 'staff',
      checkedInByUserId: w.gridWorkerA,
      checkInReason: '老人没有智能手机',
    })
    // Written by the check-in's own statement: the generated id, the time as answered, the actor and the unit's path.
    const event = await one<{ after: Record<string, unknown>; actor: string; path: string | null }>(
      t.db,
      sql`select after, actor_user_id as actor, org_path as path from audit_events
          where target_id = ${id} and action = 'activity.check_in'`,
    )
    expect(event!.after).toEqual({
      checkInId: ok.json().id,
      memberId: m.memberId,
      method: 'staff',
      at: ok.json().checkedInAt,
      reason: '老人没有智能手机',
    })
    expect(event!.actor).toBe(w.gridWorkerA)
    expect(event!.path).toMatch(/^\//)
  })

  it('a code checks in only yourself, and only a member may use one; staff may not give a time in the future', async () => {
    const id = await runningActivity()
    const m = await createMemberUser(t.db, w.branchA)
    const forOther = await post(m.userId, id, 'check-ins', {
      code: codeNow(id),
      memberId: w.memberA.memberId,
    })
    expect([forOther.statusCode, forOther.json().errors?.[0]?.field]).toEqual([400, 'memberId'])
    const withAt = await post(m.userId, id, 'check-ins', { code: codeNow(id), at: new Date().toISOString() })
    expect([withAt.statusCode, withAt.json().errors?.[0]?.field]).toEqual([400, 'at'])
    const staffCode = await post(w.gridWorkerA, id, 'check-ins', { code: codeNow(id) })
    expect([staffCode.statusCode, staffCode.json().code]).toEqual([403, 'forbidden'])
    const future = await staffIn(id, m.memberId, Date.now() + 10 * MIN)
    expect([future.statusCode, future.json().errors?.[0]?.field]).toEqual([400, 'at'])
  })

  it('a member of another branch reads the activity as absent (404); staff checking them in get 422', async () => {
    const id = await runningActivity()
    const res = await post(w.memberB.userId, id, 'check-ins', { code: codeNow(id) })
    expect([res.statusCode, res.json().code]).toEqual([404, 'not_found'])
    const staff = await post(w.admin, id, 'check-ins', { memberId: w.memberB.memberId, reason: '代签' })
    expect([staff.statusCode, staff.json().code]).toEqual([422, 'out_of_range'])
  })

  it('one open check-in per member: 20 concurrent check-ins over two processes give exactly one 201', async () => {
    const id = await runningActivity()
    const m = await createMemberUser(t.db, w.branchA)
    const code = codeNow(id)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(m.userId, id, 'check-ins', { code }, i % 2 ? t2 : t)),
    )
    const statuses = answers.map((r) => r.statusCode).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    // A code of the previous minute may have been refused only if the minute turned twice: it cannot.
    expect(answers.filter((r) => r.statusCode !== 201).map((r) => r.json().code)).toEqual(
      Array(19).fill('conflict'),
    )
    const open = await rows(t.db, sql`select id from activity_check_ins where activity_id = ${id}`)
    expect(open).toHaveLength(1)
    expect(await auditCount(t.db, id, 'activity.check_in')).toBe(1)
    // After checking out the member may check in again.
    expect((await post(m.userId, id, 'check-outs', { code: codeNow(id) })).statusCode).toBe(200)
    expect((await post(m.userId, id, 'check-ins', { code: codeNow(id) })).statusCode).toBe(201)
  })
})

describe('checking out and hours', () => {
  it('hours are rounded down to quarter hours: 1 h 14 min -> 1.00, 1 h 15 min -> 1.25', async () => {
    const a = await pastActivity()
    const m1 = await createMemberUser(t.db, w.branchA)
    const m2 = await createMemberUser(t.db, w.branchA)
    expect((await staffIn(a.id, m1.memberId, a.startsAt)).statusCode).toBe(201)
    expect((await staffIn(a.id, m2.memberId, a.startsAt)).statusCode).toBe(201)
    const o1 = await staffOut(a.id, m1.memberId, a.startsAt + 74 * MIN)
    expect(o1.statusCode, o1.body).toBe(200)
    expect(o1.json()).toMatchObject({ hours: '1.00', participantHours: '1.00', checkOutMethod: 'staff' })
    const o2 = await staffOut(a.id, m2.memberId, a.startsAt + 75 * MIN)
    expect(o2.json()).toMatchObject({ hours: '1.25', participantHours: '1.25' })
    expect(Number((await participation(a.id, m2.memberId))!.hoursCents)).toBe(125)
  })

  it('a stay is clipped to the activity: never beyond its length; before the start it counts nothing', async () => {
    const a = await pastActivity()
    const m = await createMemberUser(t.db, w.branchA)
    const early = await createMemberUser(t.db, w.branchA)
    expect((await staffIn(a.id, m.memberId, a.startsAt - 90 * MIN)).statusCode).toBe(201)
    const out = await staffOut(a.id, m.memberId, a.endsAt + 50 * MIN)
    expect(out.json()).toMatchObject({ hours: '3.00', participantHours: '3.00' })
    // Left before it started: 0.00, and no participation (hours > 0 only).
    expect((await staffIn(a.id, early.memberId, a.startsAt - HOUR)).statusCode).toBe(201)
    const none = await staffOut(a.id, early.memberId, a.startsAt - 5 * MIN)
    expect(none.json()).toMatchObject({ hours: '0.00', participantHours: null })
    expect(await participation(a.id, early.memberId)).toBeUndefined()
  })

  it("the member's stays add up, at most the activity's length; a new check-in may not reach into a closed stay", async () => {
    const a = await pastActivity()
    const m = await createMemberUser(t.db, w.branchA)
    await staffIn(a.id, m.memberId, a.startsAt)
    expect((await staffOut(a.id, m.memberId, a.startsAt + HOUR)).json().participantHours).toBe('1.00')
    const overlap = await staffIn(a.id, m.memberId, a.startsAt + 30 * MIN)
    expect([overlap.statusCode, overlap.json().errors?.[0]?.field]).toEqual([400, 'at'])
    expect((await staffIn(a.id, m.memberId, a.startsAt + 2 * HOUR)).statusCode).toBe(201)
    const second = await staffOut(a.id, m.memberId, a.startsAt + 2 * HOUR + 40 * MIN)
    expect(second.json()).toMatchObject({ hours: '0.50', participantHours: '1.50' })
    const p = await participation(a.id, m.memberId)
    expect([Number(p!.hoursCents), p!.recordedBy]).toEqual([150, w.gridWorkerA])
    // A check-out before the check-in is refused.
    await staffIn(a.id, m.memberId, a.startsAt + 2 * HOUR + 50 * MIN)
    const backwards = await staffOut(a.id, m.memberId, a.startsAt + 2 * HOUR + 45 * MIN)
    expect([backwards.statusCode, backwards.json().errors?.[0]?.field]).toEqual([400, 'at'])
  })

  it('no open check-in: 409 invalid_state; a member who never checks out has no hours until staff set them', async () => {
    const a = await pastActivity()
    const stayed = await createMemberUser(t.db, w.branchA)
    const left = await createMemberUser(t.db, w.branchA)
    const none = await staffOut(a.id, stayed.memberId, a.startsAt + HOUR)
    expect([none.statusCode, none.json().code]).toEqual([409, 'invalid_state'])
    await staffIn(a.id, stayed.memberId, a.startsAt)
    await staffIn(a.id, left.memberId, a.startsAt)
    await staffOut(a.id, left.memberId, a.startsAt + 2 * HOUR)
    expect(await participation(a.id, stayed.memberId)).toBeUndefined()
    const list = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${a.id}/check-ins?status=open`,
      as: w.gridWorkerA,
    })
    expect(list.json().items.map((c: { memberId: string }) => c.memberId)).toEqual([stayed.memberId])
    // Staff set the hours of the one who never checked out (recordParticipation), then verify.
    const set = await t.call({
      method: 'PUT',
      url: `/api/v1/activities/${a.id}/participants/${stayed.memberId}`,
      as: w.secretaryA,
      payload: { hours: '2.50' },
    })
    expect(set.statusCode, set.body).toBe(201)
    expect((await verify(t, w.admin, a.id)).statusCode).toBe(200)
  })

  it('a check-out makes an unverified participation that verifyActivity verifies; afterwards 409', async () => {
    const a = await pastActivity()
    const m = await createMemberUser(t.db, w.branchA)
    await staffIn(a.id, m.memberId, a.startsAt + 10 * MIN)
    await staffOut(a.id, m.memberId, a.startsAt + 2 * HOUR)
    const before = await t.call({ method: 'GET', url: `/api/v1/activities/${a.id}`, as: w.admin })
    expect(before.json().participants).toEqual([
      expect.objectContaining({ memberId: m.memberId, hours: '1.75', verified: false }),
    ])
    const verified = await verify(t, w.admin, a.id)
    expect(verified.statusCode, verified.body).toBe(200)
    expect(verified.json().participants).toEqual([
      expect.objectContaining({ memberId: m.memberId, hours: '1.75', verified: true }),
    ])
    const again = await staffIn(a.id, m.memberId, a.startsAt + 2 * HOUR + 10 * MIN)
    expect([again.statusCode, again.json().code]).toEqual([409, 'invalid_state'])
    const out = await staffOut(a.id, m.memberId, a.endsAt)
    expect([out.statusCode, out.json().code]).toEqual([409, 'invalid_state'])
  })

  it('listActivityCheckIns: who is in, who has left, with hours; newest first, paged', async () => {
    const a = await pastActivity()
    const members = [
      await createMemberUser(t.db, w.branchA),
      await createMemberUser(t.db, w.branchA),
      await createMemberUser(t.db, w.branchA),
    ]
    for (const [i, m] of members.entries()) await staffIn(a.id, m.memberId, a.startsAt + i * MIN)
    await staffOut(a.id, members[0]!.memberId, a.startsAt + HOUR)
    const all = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${a.id}/check-ins?limit=2`,
      as: w.secretaryA,
    })
    expect(all.statusCode, all.body).toBe(200)
    expect(all.json().items.map((c: { memberId: string }) => c.memberId)).toEqual([
      members[2]!.memberId,
      members[1]!.memberId,
    ])
    const rest = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${a.id}/check-ins?limit=2&cursor=${all.json().nextCursor}`,
      as: w.secretaryA,
    })
    expect(rest.json()).toMatchObject({
      items: [{ memberId: members[0]!.memberId, hours: '1.00' }],
      nextCursor: null,
    })
    const closed = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${a.id}/check-ins?status=closed`,
      as: w.gridWorkerA,
    })
    expect(closed.json().items).toHaveLength(1)
  })
})

describe('a flow of 200 members', () => {
  it('each checks in and out with the code, then one verification verifies all their hours', async () => {
    const a = await pastActivity()
    const members = await Promise.all(Array.from({ length: 200 }, () => createMemberUser(t.db, w.branchA)))
    const callers = await grantsLoader(t.db).many(members.map((m) => m.userId))
    let now = a.startsAt + 5 * MIN
    const codes = new CheckInCodes(key, () => now)
    const inTurns = async (work: (c: Caller) => Promise<unknown>) => {
      let next = 0
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < members.length) await work(callers.get(members[next++]!.userId)!)
        }),
      )
    }
    await inTurns((c) => checkIn(t.db, c, a.id, { code: codes.issue(a.id).code }, codes))
    now = a.startsAt + 2 * HOUR + 35 * MIN
    await inTurns((c) => checkOut(t.db, c, a.id, { code: codes.issue(a.id).code }, codes))
    const res = await verify(t, w.admin, a.id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ status: 'verified', participantCount: 200, totalHours: '500.00' })
    const hours = await one<{ n: string; total: string }>(
      t.db,
      sql`select count(*) as n, sum(hours_cents) as total from verified_service_hours where source_id = ${a.id}`,
    )
    expect([Number(hours!.n), Number(hours!.total)]).toEqual([200, 200 * 250])
  })
})
