import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUnit, createUser, createWorld, uniq, type World } from '../helpers/factories'

/** 报名 (issue 18): capacity, waitlist, window, visibility, cancellation with promotion, and races. */

const HOUR = 3_600_000
let t: TestApp
let t2: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp({ poolSize: 10 })
  // A second app with its own pool against the same database: another API process.
  t2 = await buildTestApp({ poolSize: 10 })
  w = await createWorld(t.db)
})

afterAll(async () => {
  await t.app.close()
  await t2.app.close()
})

async function activity(
  opts: {
    orgUnitId?: string
    capacity?: number
    startsIn?: number
    signUpOpensAt?: string
    signUpClosesAt?: string
    visibility?: 'subtree' | 'subtree_and_registered'
  } = {},
): Promise<string> {
  const startsAt = new Date(Date.now() + (opts.startsIn ?? 48) * HOUR)
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as: w.admin,
    payload: {
      orgUnitId: opts.orgUnitId ?? w.branchA,
      title: uniq('义务理发'),
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 2 * HOUR).toISOString(),
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
      ...(opts.signUpOpensAt ? { signUpOpensAt: opts.signUpOpensAt } : {}),
      ...(opts.signUpClosesAt ? { signUpClosesAt: opts.signUpClosesAt } : {}),
      ...(opts.visibility ? { visibility: opts.visibility } : {}),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

const signUp = (app: TestApp, as: string, activityId: string, memberId?: string) =>
  app.call({
    method: 'POST',
    url: `/api/v1/activities/${activityId}/sign-ups`,
    as,
    ...(memberId ? { payload: { memberId } } : {}),
  })

const cancel = (app: TestApp, as: string, activityId: string, memberId: string, reason?: string) =>
  app.call({
    method: 'POST',
    url: `/api/v1/activities/${activityId}/sign-ups/${memberId}/cancel`,
    as,
    ...(reason ? { payload: { reason } } : {}),
  })

async function listSignUps(activityId: string, query = '') {
  const res = await t.call({
    method: 'GET',
    url: `/api/v1/activities/${activityId}/sign-ups${query}`,
    as: w.secretaryA,
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as {
    items: { memberId: string; status: string; position: number | null; confirmedAt: string | null }[]
    nextCursor: string | null
  }
}

async function counts(activityId: string) {
  const row = await one<{ count: number; confirmed: string; waitlisted: string; capacity: number | null }>(
    t.db,
    sql`select a.confirmed_count as count, a.capacity,
               (select count(*) from activity_sign_ups s where s.activity_id = a.id and s.status = 'confirmed') as confirmed,
               (select count(*) from activity_sign_ups s where s.activity_id = a.id and s.status = 'waitlisted') as waitlisted
        from activities a where a.id = ${activityId}`,
  )
  return {
    count: row!.count,
    confirmed: Number(row!.confirmed),
    waitlisted: Number(row!.waitlisted),
    capacity: row!.capacity,
  }
}

const members = (n: number, unit = w.branchA) =>
  Promise.all(Array.from({ length: n }, () => createMemberUser(t.db, unit)))

describe('capacity and waitlist', () => {
  it('confirms within capacity, waitlists beyond it with positions, and answers a second sign-up with the first', async () => {
    const id = await activity({ capacity: 2 })
    const [a, b, c, d] = await members(4)
    const answers = []
    for (const m of [a!, b!, c!, d!]) {
      const res = await signUp(t, m.userId, id)
      expect(res.statusCode, res.body).toBe(201)
      answers.push(res.json())
    }
    expect(answers.map((x) => [x.status, x.position])).toEqual([
      ['confirmed', null],
      ['confirmed', null],
      ['waitlisted', 1],
      ['waitlisted', 2],
    ])
    expect(answers[0].confirmedAt).toEqual(expect.any(String))
    expect(answers[2].confirmedAt).toBeNull()
    expect(answers[0]).toMatchObject({ activityId: id, memberId: a!.memberId, signedUpByUserId: a!.userId })

    // Twice: the same sign-up, 200, no second row and no second audit event.
    const again = await signUp(t, c!.userId, id, c!.memberId)
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual(answers[2])
    const events = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from audit_events where target_id = ${id} and action = 'sign_up.create'`,
    )
    expect(Number(events!.n)).toBe(4)

    const got = await t.call({ method: 'GET', url: `/api/v1/activities/${id}`, as: w.secretaryA })
    expect(got.json()).toMatchObject({ capacity: 2, confirmedCount: 2, visibility: 'subtree' })
    expect(await counts(id)).toEqual({ count: 2, confirmed: 2, waitlisted: 2, capacity: 2 })

    const list = await listSignUps(id)
    expect(list.items.map((s) => [s.memberId, s.status, s.position])).toEqual([
      [a!.memberId, 'confirmed', null],
      [b!.memberId, 'confirmed', null],
      [c!.memberId, 'waitlisted', 1],
      [d!.memberId, 'waitlisted', 2],
    ])
    // Pages of one walk the same order.
    const walked: string[] = []
    let cursor: string | null = null
    do {
      const page = await listSignUps(id, `?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
      walked.push(...page.items.map((s) => s.memberId))
      cursor = page.nextCursor
    } while (cursor)
    expect(walked).toEqual(list.items.map((s) => s.memberId))
    expect((await listSignUps(id, '?status=waitlisted')).items.map((s) => s.position)).toEqual([1, 2])

    const mine = await t.call({ method: 'GET', url: '/api/v1/me/sign-ups', as: d!.userId })
    expect(mine.statusCode, mine.body).toBe(200)
    expect(mine.json().items).toEqual([
      expect.objectContaining({
        activityId: id,
        status: 'waitlisted',
        position: 2,
        activityTitle: expect.any(String),
      }),
    ])
  })

  it('without capacity everyone is confirmed; staff sign up a member who may serve there', async () => {
    const id = await activity()
    const [a] = await members(1)
    const res = await signUp(t, w.secretaryA, id, a!.memberId)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ status: 'confirmed', signedUpByUserId: w.secretaryA })
    expect(await counts(id)).toMatchObject({ count: 1, confirmed: 1 })
    // A member of the sibling branch: the secretary does not see them (404).
    const other = await signUp(t, w.secretaryA, id, w.memberB.memberId)
    expect(other.statusCode, other.body).toBe(404)
  })

  it('createActivity refuses a window that closes after the end or opens after it closes', async () => {
    const startsAt = new Date(Date.now() + 48 * HOUR)
    const endsAt = new Date(startsAt.getTime() + 2 * HOUR)
    const bad = async (extra: Record<string, unknown>, field: string) => {
      const res = await t.call({
        method: 'POST',
        url: '/api/v1/activities',
        as: w.admin,
        payload: {
          orgUnitId: w.branchA,
          title: '窗口',
          startsAt: startsAt.toISOString(),
          endsAt: endsAt.toISOString(),
          ...extra,
        },
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors[0].field).toBe(field)
    }
    await bad({ signUpClosesAt: new Date(endsAt.getTime() + HOUR).toISOString() }, 'signUpClosesAt')
    await bad(
      { signUpOpensAt: new Date(Date.now() + HOUR).toISOString(), signUpClosesAt: new Date().toISOString() },
      'signUpClosesAt',
    )
    await bad({ signUpOpensAt: endsAt.toISOString() }, 'signUpOpensAt')
    await bad({ capacity: 0 }, 'capacity')
  })
})

describe('the sign-up window', () => {
  it('is 409 invalid_state before it opens, after it closes, once the activity started, and once verified', async () => {
    const [m] = await members(1)
    const early = await activity({ signUpOpensAt: new Date(Date.now() + HOUR).toISOString() })
    const res1 = await signUp(t, m!.userId, early)
    expect(res1.statusCode, res1.body).toBe(409)
    expect(res1.json()).toMatchObject({
      code: 'invalid_state',
      detail: expect.stringMatching(/^sign-up opens at /),
    })

    const late = await activity({
      signUpOpensAt: new Date(Date.now() - 2 * HOUR).toISOString(),
      signUpClosesAt: new Date(Date.now() - HOUR).toISOString(),
    })
    const res2 = await signUp(t, m!.userId, late)
    expect(res2.statusCode, res2.body).toBe(409)
    expect(res2.json().detail).toMatch(/^sign-up closed at /)

    // No close time: until the activity starts.
    const started = await activity({ startsIn: -1 })
    const res3 = await signUp(t, m!.userId, started)
    expect(res3.statusCode, res3.body).toBe(409)
    expect(res3.json().detail).toMatch(/^sign-up closed at /)

    const verified = await verifiedActivity(t, w.secretaryA, w.branchA, [[m!.memberId, '1.00']])
    const res4 = await signUp(t, m!.userId, verified)
    expect(res4.statusCode, res4.body).toBe(409)
    expect(res4.json().detail).toMatch(/verified/)

    const open = await activity({ signUpOpensAt: new Date(Date.now() - HOUR).toISOString() })
    expect((await signUp(t, m!.userId, open)).statusCode).toBe(201)
    expect(await counts(early)).toMatchObject({ count: 0, confirmed: 0, waitlisted: 0 })
  })
})

describe('visibility', () => {
  it('a member registered through 双报到 signs up only where the activity is open to them; others get 404', async () => {
    const communityC = await createUnit(t.db, w.street, 'community', uniq('和平社区'))
    const secretaryC = await createUser(t.db, { grants: [['secretary', communityC]] })
    const registered = await createMemberUser(t.db, w.branchB)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
          values (${registered.memberId}, ${communityC}, 'accepted', now())`,
    )
    const unrelated = await createMemberUser(t.db, w.branchB)
    const home = await activity({ orgUnitId: communityC })
    const open = await activity({ orgUnitId: communityC, visibility: 'subtree_and_registered' })

    const refused = await signUp(t, registered.userId, home)
    expect(refused.statusCode, refused.body).toBe(404)
    expect(refused.json().detail).toBe('activity not found')
    const byStaff = await signUp(t, secretaryC, home, registered.memberId)
    expect(byStaff.statusCode, byStaff.body).toBe(422)
    expect(byStaff.json().code).toBe('out_of_range')

    const ok = await signUp(t, registered.userId, open)
    expect(ok.statusCode, ok.body).toBe(201)
    for (const id of [home, open]) {
      const res = await signUp(t, unrelated.userId, id)
      expect(res.statusCode, res.body).toBe(404)
      expect(res.json().detail).toBe('activity not found')
    }
    // The member of the unit itself signs up either way.
    const local = await createMemberUser(t.db, communityC)
    expect((await signUp(t, local.userId, home)).statusCode).toBe(201)
  })
})

describe('cancellation', () => {
  it('hands a confirmed place to the first waitlisted member in the same transaction', async () => {
    const id = await activity({ capacity: 1 })
    const [a, b, c] = await members(3)
    for (const m of [a!, b!, c!]) expect((await signUp(t, m.userId, id)).statusCode).toBe(201)

    const res = await cancel(t, a!.userId, id, a!.memberId, '临时有事')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelReason: '临时有事', position: null })
    expect(res.json().cancelledAt).toEqual(expect.any(String))

    const list = await listSignUps(id)
    expect(list.items.map((s) => [s.memberId, s.status, s.position])).toEqual([
      [b!.memberId, 'confirmed', null],
      [c!.memberId, 'waitlisted', 1],
      [a!.memberId, 'cancelled', null],
    ])
    expect(list.items[0]!.confirmedAt).toEqual(expect.any(String))
    expect(await counts(id)).toEqual({ count: 1, confirmed: 1, waitlisted: 1, capacity: 1 })

    // One transaction wrote the cancellation, the promotion and both audit events.
    const xids = await rows<{ xmin: string }>(
      t.db,
      sql`select xmin::text as xmin from activity_sign_ups where activity_id = ${id} and member_id in (${a!.memberId}, ${b!.memberId})
          union all
          select xmin::text from audit_events where target_id = ${id} and action in ('sign_up.cancel', 'sign_up.promoted')`,
    )
    expect(xids).toHaveLength(4)
    expect(new Set(xids.map((x) => x.xmin)).size).toBe(1)
    const promoted = await one<{ after: { memberId: string; placeOf: string } }>(
      t.db,
      sql`select after from audit_events where target_id = ${id} and action = 'sign_up.promoted'`,
    )
    expect(promoted!.after).toMatchObject({ memberId: b!.memberId, placeOf: a!.memberId })

    // Twice: 409. Signing up again: the back of the queue.
    const twice = await cancel(t, a!.userId, id, a!.memberId)
    expect(twice.statusCode, twice.body).toBe(409)
    expect(twice.json().code).toBe('invalid_state')
    const back = await signUp(t, a!.userId, id)
    expect(back.statusCode, back.body).toBe(201)
    expect(back.json()).toMatchObject({
      status: 'waitlisted',
      position: 2,
      cancelledAt: null,
      cancelReason: null,
    })

    // A waitlisted member leaving promotes nobody; the last confirmed leaving with nobody waiting frees the place.
    expect((await cancel(t, w.secretaryA, id, c!.memberId)).statusCode).toBe(200)
    expect(await counts(id)).toMatchObject({ count: 1, confirmed: 1, waitlisted: 1 })
    expect((await cancel(t, b!.userId, id, b!.memberId)).statusCode).toBe(200)
    expect((await listSignUps(id, '?status=confirmed')).items.map((s) => s.memberId)).toEqual([a!.memberId])
    expect((await cancel(t, a!.userId, id, a!.memberId)).statusCode).toBe(200)
    expect(await counts(id)).toEqual({ count: 0, confirmed: 0, waitlisted: 0, capacity: 1 })
  })

  it('a member who never signed up gets 404', async () => {
    const id = await activity({ capacity: 1 })
    const [a] = await members(1)
    const res = await cancel(t, a!.userId, id, a!.memberId)
    expect(res.statusCode, res.body).toBe(404)
    expect(res.json().detail).toBe('sign-up not found')
  })
})

describe('the database keeps confirmed_count', () => {
  it('refuses, at commit, a write that leaves confirmed_count apart from the confirmed sign-ups', async () => {
    const id = await activity({ capacity: 2 })
    const [a, b] = await members(2)
    expect((await signUp(t, a!.userId, id)).statusCode).toBe(201)
    const refused = (q: ReturnType<typeof sql>) =>
      expect(t.db.execute(q)).rejects.toMatchObject({
        cause: expect.objectContaining({ constraint: 'activities_confirmed_count_chk' }),
      })
    await refused(sql`update activities set confirmed_count = 2 where id = ${id}`)
    await refused(
      sql`insert into activity_sign_ups (activity_id, member_id, status, signed_up_by, confirmed_at)
          values (${id}, ${b!.memberId}, 'confirmed', ${b!.userId}, now())`,
    )
    await refused(sql`delete from activity_sign_ups where activity_id = ${id}`)
    expect(await counts(id)).toEqual({ count: 1, confirmed: 1, waitlisted: 0, capacity: 2 })
  })
})

describe('races, across two API processes', () => {
  it('30 sign-ups for the last 3 places: exactly 3 confirmed, 27 waitlisted at 1..27', async () => {
    const id = await activity({ capacity: 3 })
    const racers = await members(30)
    const answers = await Promise.all(racers.map((m, i) => signUp(i % 2 ? t2 : t, m.userId, id)))
    expect(answers.map((r) => r.statusCode)).toEqual(racers.map(() => 201))
    const statuses = answers.map((r) => r.json().status)
    expect(statuses.filter((s) => s === 'confirmed')).toHaveLength(3)
    expect(statuses.filter((s) => s === 'waitlisted')).toHaveLength(27)
    expect(await counts(id)).toEqual({ count: 3, confirmed: 3, waitlisted: 27, capacity: 3 })
    const waitlist = await listSignUps(id, '?status=waitlisted')
    expect(waitlist.items.map((s) => s.position)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1))
  })

  it('racing cancellations and sign-ups keep confirmed_count equal to the confirmed rows, and no place idle', async () => {
    const id = await activity({ capacity: 5 })
    const first = await members(10)
    for (const m of first) expect((await signUp(t, m.userId, id)).statusCode).toBe(201)
    const later = await members(10)
    const answers = await Promise.all([
      // three confirmed and two waitlisted leave, ten more come, two of the first sign up again
      ...[0, 1, 2, 6, 8].map((i, k) => cancel(k % 2 ? t2 : t, first[i]!.userId, id, first[i]!.memberId)),
      ...later.map((m, k) => signUp(k % 2 ? t : t2, m.userId, id)),
      signUp(t2, first[3]!.userId, id),
      signUp(t, first[9]!.userId, id),
    ])
    expect(answers.map((r) => r.statusCode).sort()).toEqual([
      ...Array(5).fill(200),
      ...Array(2).fill(200),
      ...Array(10).fill(201),
    ])
    const c = await counts(id)
    expect(c).toEqual({ count: 5, confirmed: 5, waitlisted: 10, capacity: 5 })
    const list = await listSignUps(id, '?status=waitlisted')
    expect(list.items.map((s) => s.position)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
  })
})
