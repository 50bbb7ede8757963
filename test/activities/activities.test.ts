import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows, transaction } from '../../src/db/client'
import {
  activityForClaims,
  foreignEvidence,
  hoursByMember,
  hoursSummary,
} from '../../src/modules/activities/service'
import { auditCount, createPastActivity, recordHours, verifiedActivity, verify } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUser, createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const HOUR = 3_600_000

async function participantCount(activityId: string): Promise<number> {
  const row = await one<{ n: string }>(
    t.db,
    sql`select count(*) as n from activity_participants where activity_id = ${activityId}`,
  )
  return Number(row!.n)
}

describe('POST /api/v1/activities', () => {
  it('creates an activity in scope with its length, and audits it', async () => {
    const startsAt = '2026-03-05T01:00:00Z'
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.gridWorkerA,
      payload: {
        orgUnitId: w.gridA,
        title: '敬老院义务理发',
        rubricItemCode: 'A01',
        startsAt,
        endsAt: '2026-03-05T03:30:00Z',
        location: '幸福敬老院',
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({
      orgUnitId: w.gridA,
      title: '敬老院义务理发',
      rubricItemCode: 'A01',
      lengthHours: '2.50',
      status: 'open',
      participants: [],
      totalHours: '0.00',
    })
    expect(res.headers.location).toBe(`/api/v1/activities/${body.id}`)
    expect(await auditCount(t.db, body.id, 'activity.create')).toBe(1)
  })

  it('rounds the length down to the hundredth of an hour (1 h 0 min 35 s is 1.00)', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: 'x',
        startsAt: '2026-03-05T01:00:00Z',
        endsAt: '2026-03-05T02:00:35Z',
      },
    })
    expect(res.json().lengthHours).toBe('1.00')
    expect((await recordHours(t, w.secretaryA, res.json().id, w.memberA.memberId, '1.01')).statusCode).toBe(
      422,
    )
  })

  it('answers 404 for a unit outside scope, 403 for a plain member, and writes nothing', async () => {
    const before = await one<{ n: string }>(t.db, sql`select count(*) as n from activities`)
    const payload = {
      orgUnitId: w.branchA,
      title: 'x',
      startsAt: '2026-03-05T01:00:00Z',
      endsAt: '2026-03-05T02:00:00Z',
    }
    const outside = await t.call({ method: 'POST', url: '/api/v1/activities', as: w.secretaryB, payload })
    expect(outside.statusCode).toBe(404)
    expect(outside.json().code).toBe('not_found')
    const member = await t.call({ method: 'POST', url: '/api/v1/activities', as: w.memberA.userId, payload })
    expect(member.statusCode).toBe(403)
    expect(member.json().code).toBe('forbidden')
    const after = await one<{ n: string }>(t.db, sql`select count(*) as n from activities`)
    expect(after!.n).toBe(before!.n)
  })

  it('takes a team of the unit line, and answers 404 for a team elsewhere', async () => {
    const team = async (unit: string) =>
      (await one<{ id: string }>(
        t.db,
        sql`insert into teams (org_unit_id, name) values (${unit}, '青年志愿服务队') returning id`,
      ))!.id
    const payload = (teamId: string) => ({
      orgUnitId: w.branchA,
      teamId,
      title: '义诊',
      startsAt: '2026-03-05T01:00:00Z',
      endsAt: '2026-03-05T02:00:00Z',
    })
    const ours = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: payload(await team(w.communityA)),
    })
    expect(ours.statusCode, ours.body).toBe(201)
    const theirs = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: payload(await team(w.branchB)),
    })
    expect(theirs.statusCode).toBe(404)
    expect(theirs.json().detail).toBe('team not found')
  })

  it('refuses an end before the start and unknown fields with 400', async () => {
    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: 'x',
        startsAt: '2026-03-05T02:00:00Z',
        endsAt: '2026-03-05T02:00:00Z',
      },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].field).toBe('endsAt')
    const unknown = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: 'x',
        startsAt: '2026-03-05T01:00:00Z',
        endsAt: '2026-03-05T02:00:00Z',
        points: 5,
      },
    })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors[0].field).toBe('points')
  })
})

describe('PUT /api/v1/activities/{id}/participants/{memberId}', () => {
  it('records hours up to the activity length exactly, replaces them, and refuses more or zero', async () => {
    const id = await createPastActivity(t, w.secretaryA, w.branchA, { hours: 3 })
    const first = await recordHours(t, w.secretaryA, id, w.memberA.memberId, '3.00')
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json()).toMatchObject({ memberId: w.memberA.memberId, memberName: '张三', hours: '3.00' })
    const replaced = await recordHours(t, w.secretaryA, id, w.memberA.memberId, 2.5)
    expect(replaced.statusCode).toBe(200)
    expect(replaced.json().hours).toBe('2.50')

    const tooLong = await recordHours(t, w.secretaryA, id, w.memberA.memberId, '3.01')
    expect(tooLong.statusCode).toBe(422)
    expect(tooLong.json()).toMatchObject({ code: 'out_of_range', maxHours: '3.00' })
    for (const hours of [0, '0.00', -1, '1.234', 'abc', null]) {
      const res = await recordHours(t, w.secretaryA, id, w.memberA.memberId, hours)
      expect(res.statusCode, String(hours)).toBe(400)
    }
    const stored = await one<{ h: string }>(
      t.db,
      sql`select hours_cents as h from activity_participants where activity_id = ${id}`,
    )
    expect(stored!.h).toBe('250')
    expect(await auditCount(t.db, id, 'activity.participation.record')).toBe(2)
  })

  it('refuses a member of another community (422 when visible, 404 when not) and writes nothing', async () => {
    const id = await createPastActivity(t, w.admin, w.communityA)
    const visible = await recordHours(t, w.admin, id, w.memberB.memberId, '1.00')
    expect(visible.statusCode).toBe(422)
    expect(visible.json().code).toBe('out_of_range')
    const invisible = await recordHours(t, w.secretaryA, id, w.memberB.memberId, '1.00')
    expect(invisible.statusCode).toBe(404)
    const unknown = await recordHours(t, w.secretaryA, id, crypto.randomUUID(), '1.00')
    expect(unknown.statusCode).toBe(404)
    expect(await participantCount(id)).toBe(0)
  })

  it('lets a member registered with the community (双报到) take part; the hours show for both sides', async () => {
    const world = await createWorld(t.db)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${world.memberB.memberId}, ${world.communityA}, 'accepted', now())`,
    )
    const id = await verifiedActivity(t, world.gridWorkerA, world.branchA, [[world.memberB.memberId, '2.00']])
    const communitySecretary = await createUser(t.db, { grants: [['secretary', world.communityA]] })
    for (const as of [world.secretaryB, communitySecretary, world.memberB.userId]) {
      const res = await t.call({
        method: 'GET',
        url: `/api/v1/members/${world.memberB.memberId}/service-hours`,
        as,
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().totalHours).toBe('2.00')
      expect(res.json().records[0]).toMatchObject({ source: 'activity', sourceId: id, hours: '2.00' })
    }
    // The branch secretary of community A's branch does not hold the community itself: not theirs to see.
    const branchOnly = await t.call({
      method: 'GET',
      url: `/api/v1/members/${world.memberB.memberId}/service-hours`,
      as: world.secretaryA,
    })
    expect(branchOnly.statusCode).toBe(404)
  })

  it('takes a member off while open (204), never after verification (409)', async () => {
    const id = await createPastActivity(t, w.secretaryA, w.branchA)
    const extra = await createMember(t.db, w.branchA)
    await recordHours(t, w.secretaryA, id, w.memberA.memberId, '1.00')
    await recordHours(t, w.secretaryA, id, extra, '1.00')
    const url = `/api/v1/activities/${id}/participants/${extra}`
    expect((await t.call({ method: 'DELETE', url, as: w.secretaryB })).statusCode).toBe(404)
    expect((await t.call({ method: 'DELETE', url, as: w.gridWorkerA })).statusCode).toBe(204)
    expect((await t.call({ method: 'DELETE', url, as: w.gridWorkerA })).statusCode).toBe(404)
    expect(await participantCount(id)).toBe(1)
    expect(await auditCount(t.db, id, 'activity.participation.remove')).toBe(1)
    await verify(t, w.secretaryA, id)
    const late = await t.call({
      method: 'DELETE',
      url: `/api/v1/activities/${id}/participants/${w.memberA.memberId}`,
      as: w.secretaryA,
    })
    expect(late.statusCode).toBe(409)
    expect(await participantCount(id)).toBe(1)
    expect(
      await refusal(t.db.execute(sql`delete from activity_participants where activity_id = ${id}`)),
    ).toMatchObject({ code: '23514', constraint: 'activity_participants_verified_chk' })
  })

  it('takes no hours for an inactive member (409 invalid_state)', async () => {
    const retired = await createMember(t.db, w.branchA)
    await t.db.execute(sql`update members set status = 'inactive' where id = ${retired}`)
    const id = await createPastActivity(t, w.secretaryA, w.branchA)
    const res = await recordHours(t, w.secretaryA, id, retired, '1.00')
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'invalid_state', detail: 'the member is inactive' })
    expect(await participantCount(id)).toBe(0)
  })

  it('answers 404 for an activity outside scope', async () => {
    const id = await createPastActivity(t, w.secretaryA, w.branchA)
    const res = await recordHours(t, w.secretaryB, id, w.memberB.memberId, '1.00')
    expect(res.statusCode).toBe(404)
  })

  it('is held by the database too: hours above the length or after verification are refused', async () => {
    const id = await createPastActivity(t, w.secretaryA, w.branchA, { hours: 1 })
    expect(
      await refusal(
        t.db.execute(
          sql`insert into activity_participants (activity_id, member_id, hours_cents, recorded_by)
            values (${id}, ${w.memberA.memberId}, 101, ${w.secretaryA})`,
        ),
      ),
    ).toMatchObject({ code: '23514', constraint: 'activity_participants_length_chk' })
    expect(
      await refusal(
        t.db.execute(
          sql`insert into activity_participants (activity_id, member_id, hours_cents, recorded_by)
            values (${id}, ${w.memberA.memberId}, 0, ${w.secretaryA})`,
        ),
      ),
    ).toMatchObject({ code: '23514', constraint: 'activity_participants_hours_chk' })
    // Even with every trigger off, the CHECK holds the hours to the length stored with them.
    expect(
      await refusal(
        transaction(t.db, async (tx) => {
          await tx.execute(sql`set local session_replication_role = replica`)
          await tx.execute(
            sql`insert into activity_participants (activity_id, member_id, hours_cents, activity_length_cents, recorded_by)
              values (${id}, ${w.memberA.memberId}, 101, 100, ${w.secretaryA})`,
          )
        }),
      ),
    ).toMatchObject({ code: '23514', constraint: 'activity_participants_length_chk' })
    expect((await recordHours(t, w.secretaryA, id, w.memberA.memberId, '1.00')).statusCode).toBe(201)
    expect((await verify(t, w.secretaryA, id)).statusCode).toBe(200)
    expect(
      await refusal(
        t.db.execute(sql`update activity_participants set hours_cents = 50 where activity_id = ${id}`),
      ),
    ).toMatchObject({ code: '23514', constraint: 'activity_participants_verified_chk' })
    expect(
      await refusal(t.db.execute(sql`update activities set status = 'open' where id = ${id}`)),
    ).toMatchObject({ code: '55000', message: expect.stringMatching(/is verified and final/) })
  })
})

describe('POST /api/v1/activities/{id}/verify', () => {
  it('verifies all hours once; verifying again changes nothing', async () => {
    const id = await createPastActivity(t, w.secretaryA, w.branchA)
    await recordHours(t, w.secretaryA, id, w.memberA.memberId, '1.25')
    const first = await verify(t, w.gridWorkerA, id)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({
      status: 'verified',
      verifiedByUserId: w.gridWorkerA,
      totalHours: '1.25',
    })
    expect(first.json().participants[0].verified).toBe(true)
    const again = await verify(t, w.secretaryA, id)
    expect(again.statusCode).toBe(200)
    expect(again.json().verifiedByUserId).toBe(w.gridWorkerA)
    expect(again.json().verifiedAt).toBe(first.json().verifiedAt)
    expect(await auditCount(t.db, id, 'activity.verify')).toBe(1)

    const late = await recordHours(t, w.secretaryA, id, w.memberA.memberId, '1.00')
    expect(late.statusCode).toBe(409)
    expect(late.json().code).toBe('invalid_state')
  })

  it('refuses a verifier who took part (403 recused) and leaves the activity open', async () => {
    const staffMember = await createMember(t.db, w.branchA, { name: '赵书记' })
    const secretary = await createUser(t.db, { memberId: staffMember, grants: [['secretary', w.branchA]] })
    const id = await createPastActivity(t, w.secretaryA, w.branchA)
    await recordHours(t, w.secretaryA, id, staffMember, '1.00')
    const res = await verify(t, secretary, id)
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('recused')
    const row = await one<{ status: string }>(t.db, sql`select status from activities where id = ${id}`)
    expect(row!.status).toBe('open')
  })

  it('refuses an activity that has not ended or has no participants (409), and one out of scope (404)', async () => {
    const startsAt = new Date(Date.now() - HOUR).toISOString()
    const running = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: '进行中',
        startsAt,
        endsAt: new Date(Date.now() + HOUR).toISOString(),
      },
    })
    await recordHours(t, w.secretaryA, running.json().id, w.memberA.memberId, '0.50')
    expect((await verify(t, w.secretaryA, running.json().id)).json().code).toBe('invalid_state')
    const empty = await createPastActivity(t, w.secretaryA, w.branchA)
    const res = await verify(t, w.secretaryA, empty)
    expect(res.statusCode).toBe(409)
    expect((await verify(t, w.secretaryB, empty)).statusCode).toBe(404)
  })

  it('serialises with a racing participation: the hours are either verified or refused, never lost', async () => {
    const other = await buildTestApp()
    const id = await createPastActivity(t, w.secretaryA, w.branchA)
    await recordHours(t, w.secretaryA, id, w.memberA.memberId, '1.00')
    const extra = await createMember(t.db, w.branchA)
    const [rec, ver] = await Promise.all([
      recordHours(other, w.secretaryA, id, extra, '2.00'),
      verify(t, w.gridWorkerA, id),
    ])
    expect(ver.statusCode).toBe(200)
    const stored = await rows<{ memberId: string }>(
      t.db,
      sql`select member_id as "memberId" from activity_participants where activity_id = ${id}`,
    )
    if (rec.statusCode === 201) {
      expect(stored).toHaveLength(2)
    } else {
      expect(rec.statusCode).toBe(409)
      expect(stored).toHaveLength(1)
    }
    await other.app.close()
  })
})

describe('GET /api/v1/activities', () => {
  it('lists activities in scope by unit and date, newest first, with a cursor', async () => {
    const world = await createWorld(t.db)
    const ids = []
    for (const day of ['2026-01-10', '2026-01-11', '2026-01-12']) {
      ids.push(await createPastActivity(t, world.secretaryA, world.gridA, { startsAt: `${day}T02:00:00Z` }))
    }
    await createPastActivity(t, world.secretaryB, world.branchB, { startsAt: '2026-01-11T02:00:00Z' })
    const page1 = await t.call({
      method: 'GET',
      url: `/api/v1/activities?orgUnitId=${world.branchA}&from=2026-01-11&to=2026-01-12&limit=1`,
      as: world.secretaryA,
    })
    expect(page1.statusCode, page1.body).toBe(200)
    expect(page1.json().items.map((a: { id: string }) => a.id)).toEqual([ids[2]])
    const page2 = await t.call({
      method: 'GET',
      url: `/api/v1/activities?orgUnitId=${world.branchA}&from=2026-01-11&to=2026-01-12&limit=1&cursor=${page1.json().nextCursor}`,
      as: world.secretaryA,
    })
    expect(page2.json().items.map((a: { id: string }) => a.id)).toEqual([ids[1]])
    expect(page2.json().nextCursor).toBeNull()

    const outside = await t.call({
      method: 'GET',
      url: `/api/v1/activities?orgUnitId=${world.branchB}`,
      as: world.secretaryA,
    })
    expect(outside.statusCode).toBe(404)
    const get = await t.call({ method: 'GET', url: `/api/v1/activities/${ids[0]}`, as: world.secretaryB })
    expect(get.statusCode).toBe(404)
  })
})

describe('GET /api/v1/members/{id}/service-hours', () => {
  it('adds verified hours exactly (0.01 + 0.02 + 0.07 = 0.10) and leaves unverified hours out', async () => {
    const world = await createWorld(t.db)
    const m = world.memberA.memberId
    for (const [h, day] of [
      ['0.01', '2026-02-01'],
      ['0.02', '2026-02-02'],
      ['0.07', '2026-02-03'],
    ] as const) {
      await verifiedActivity(t, world.secretaryA, world.branchA, [[m, h]], { startsAt: `${day}T02:00:00Z` })
    }
    const open = await createPastActivity(t, world.secretaryA, world.branchA, {
      startsAt: '2026-02-04T02:00:00Z',
    })
    await recordHours(t, world.secretaryA, open, m, '1.00')

    const res = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m}/service-hours`,
      as: world.memberA.userId,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().totalHours).toBe('0.10')
    expect(res.json().records.map((r: { hours: string }) => r.hours)).toEqual(['0.01', '0.02', '0.07'])

    const period = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m}/service-hours?from=2026-02-02&to=2026-02-03`,
      as: world.gridWorkerA,
    })
    expect(period.json()).toMatchObject({ totalHours: '0.09', from: '2026-02-02', to: '2026-02-03' })

    const csv = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m}/service-hours`,
      as: world.secretaryA,
      headers: { accept: 'text/csv' },
    })
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.body.startsWith('\uFEFFdate,source,sourceId,title,orgUnitId,hours\r\n')).toBe(true)
    expect(csv.body.trim().split('\r\n')).toHaveLength(4)
  })

  it('answers 404 to another member and to staff outside scope', async () => {
    for (const as of [w.memberB.userId, w.secretaryB]) {
      const res = await t.call({
        method: 'GET',
        url: `/api/v1/members/${w.memberA.memberId}/service-hours`,
        as,
      })
      expect(res.statusCode).toBe(404)
    }
  })
})

describe('claims interface (activityForClaims, foreignEvidence)', () => {
  it('gives verified participants only, and names evidence that is not the member own verified work', async () => {
    const world = await createWorld(t.db)
    const verified = await verifiedActivity(
      t,
      world.secretaryA,
      world.branchA,
      [[world.memberA.memberId, '1.50']],
      {
        startsAt: '2026-04-01T02:00:00Z',
      },
    )
    const open = await createPastActivity(t, world.secretaryA, world.branchA)
    await recordHours(t, world.secretaryA, open, world.memberA.memberId, '1.00')

    expect(await activityForClaims(t.db, verified)).toMatchObject({
      id: verified,
      orgUnitId: world.branchA,
      occurredOn: '2026-04-01',
      participants: [{ memberId: world.memberA.memberId, hoursCents: 150 }],
    })
    expect((await activityForClaims(t.db, open))!.participants).toEqual([])
    expect(await activityForClaims(t.db, crypto.randomUUID())).toBeUndefined()

    const foreign = await foreignEvidence(t.db, world.memberA.memberId, {
      activityIds: [verified, open, 'not-a-uuid'],
      serviceRequestIds: [crypto.randomUUID()],
    })
    expect(foreign.activityIds).toEqual([open, 'not-a-uuid'])
    expect(foreign.serviceRequestIds).toHaveLength(1)
    const notHers = await foreignEvidence(t.db, world.memberB.memberId, {
      activityIds: [verified],
      serviceRequestIds: [],
    })
    expect(notHers.activityIds).toEqual([verified])
  })
})

describe('reporting interface (hoursSummary, hoursByMember)', () => {
  it('counts a 双报到 member for the community served and for the home branch, verified hours only', async () => {
    const world = await createWorld(t.db)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${world.memberB.memberId}, ${world.communityA}, 'accepted', now())`,
    )
    await verifiedActivity(
      t,
      world.gridWorkerA,
      world.branchA,
      [
        [world.memberA.memberId, '1.10'],
        [world.memberB.memberId, '2.20'],
      ],
      { startsAt: '2026-09-01T02:00:00Z' },
    )
    const open = await createPastActivity(t, world.gridWorkerA, world.branchA, {
      startsAt: '2026-09-02T02:00:00Z',
    })
    await recordHours(t, world.gridWorkerA, open, world.memberA.memberId, '1.00')
    const path = async (id: string) =>
      (await one<{ path: string }>(t.db, sql`select path from org_units where id = ${id}`))!.path

    expect(await hoursSummary(t.db, await path(world.communityA), '2026-09-01', '2026-09-30')).toEqual({
      activities: 2,
      volunteers: 2,
      serviceHoursCents: 330,
      serviceRequestsConfirmed: 0,
    })
    expect(await hoursSummary(t.db, await path(world.branchB), null, null)).toMatchObject({
      activities: 0,
      volunteers: 1,
      serviceHoursCents: 220,
    })
    expect(await hoursSummary(t.db, await path(world.communityA), '2026-10-01', null)).toMatchObject({
      volunteers: 0,
      serviceHoursCents: 0,
    })
    const byMember = await hoursByMember(
      t.db,
      [world.memberA.memberId, world.memberB.memberId],
      '2026-01-01',
      null,
    )
    expect(Object.fromEntries(byMember)).toEqual({
      [world.memberA.memberId]: 110,
      [world.memberB.memberId]: 220,
    })
  })
})
