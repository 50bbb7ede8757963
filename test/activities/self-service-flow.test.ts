import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, transaction } from '../../src/db/client'
import { CheckInCodes, checkInKey } from '../../src/modules/activities/check-in-codes'
import { checkIn, checkOut } from '../../src/modules/activities/check-ins'
import { grantsLoader } from '../../src/plugins/auth/grants'
import type { Caller } from '../../src/shared/authz'
import { verify } from '../helpers/activities'
import { buildTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'

const MIN = 60_000
const HOUR = 60 * MIN

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})
afterAll(async () => {
  await t.app.close()
})

/** Runs `work` for every item, eight at a time (a crowd at the door, not 200 sockets at once). */
async function inTurns<T>(items: T[], work: (item: T) => Promise<unknown>) {
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

describe('issue 18 end to end: 200 members of one activity', () => {
  it('sign up (190 confirmed, 10 waitlisted), cancel and promote, check in and out, one verification', async () => {
    // The activity is announced for tomorrow with 190 places.
    const startsAt = Date.now() + 24 * HOUR
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: '创城志愿服务：清理楼道小广告',
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(startsAt + 3 * HOUR).toISOString(),
        capacity: 190,
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const members = await Promise.all(Array.from({ length: 200 }, () => createMemberUser(t.db, w.branchA)))

    // Every member signs up from their phone.
    const statuses: string[] = []
    await inTurns(members, async (m) => {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/sign-ups`,
        as: m.userId,
        payload: {},
      })
      expect(res.statusCode, res.body).toBe(201)
      statuses.push(res.json().status)
    })
    expect(statuses.filter((s) => s === 'confirmed')).toHaveLength(190)
    expect(statuses.filter((s) => s === 'waitlisted')).toHaveLength(10)

    // Ten confirmed members cancel: the ten waiting take their places.
    const confirmed = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${id}/sign-ups?status=confirmed&limit=200`,
      as: w.secretaryA,
    })
    const leaving = (confirmed.json().items as { memberId: string }[]).slice(0, 10).map((s) => s.memberId)
    for (const memberId of leaving) {
      const m = members.find((x) => x.memberId === memberId)!
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/sign-ups/${memberId}/cancel`,
        as: m.userId,
        payload: {},
      })
      expect(res.statusCode, res.body).toBe(200)
    }
    const after = await t.call({ method: 'GET', url: `/api/v1/activities/${id}`, as: w.secretaryA })
    expect(after.json().confirmedCount).toBe(190)
    const waiting = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${id}/sign-ups?status=waitlisted`,
      as: w.secretaryA,
    })
    expect(waiting.json().items).toHaveLength(0)

    // The day comes (time passes: the activity is moved to yesterday, the only way a test can wait a day).
    const dayStart = Date.now() - 5 * HOUR
    // Its guard refuses moving an activity's times, so the move is made with triggers off.
    await transaction(t.db, async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`)
      await tx.execute(
        sql`update activities set starts_at = ${new Date(dayStart).toISOString()}::timestamptz,
                                  ends_at = ${new Date(dayStart + 3 * HOUR).toISOString()}::timestamptz
            where id = ${id}`,
      )
    })
    // The 190 who hold a place check in with the door's code and out two and a half hours later.
    const coming = members.filter((m) => !leaving.includes(m.memberId))
    const callers = await grantsLoader(t.db).many(coming.map((m) => m.userId))
    let now = dayStart + 5 * MIN
    const codes = new CheckInCodes(checkInKey(TEST_JWT_SECRET), () => now)
    await inTurns(coming, (m) =>
      checkIn(t.db, callers.get(m.userId)! as Caller, id, { code: codes.issue(id).code }, codes),
    )
    now = dayStart + 2 * HOUR + 35 * MIN
    await inTurns(coming, (m) =>
      checkOut(t.db, callers.get(m.userId)! as Caller, id, { code: codes.issue(id).code }, codes),
    )

    // Nothing counts until the secretary verifies; then every one of the 190 has 2.50 verified hours.
    const before = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from verified_service_hours where source_id = ${id}`,
    )
    expect(Number(before!.n)).toBe(0)
    const res = await verify(t, w.secretaryA, id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ status: 'verified', participantCount: 190, totalHours: '475.00' })
    const mine = await t.call({
      method: 'GET',
      url: `/api/v1/members/${coming[0]!.memberId}/service-hours`,
      as: coming[0]!.userId,
    })
    expect(mine.statusCode, mine.body).toBe(200)
    expect(JSON.stringify(mine.json())).toContain('2.50')
  })
})
