import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { serviceRequestForClaim } from '../../src/modules/activities/service'
import { auditCount, createRequest, requestStatus, type StepName, step } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createMemberUser, createUser, createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

type State = 'open' | 'dispatched' | 'accepted' | 'completed' | 'confirmed' | 'cancelled'

/** Who takes each step: staff steps by the grid worker, member steps by member A (the one dispatched to). */
function actor(name: StepName): string {
  return ['accept', 'decline', 'complete'].includes(name) ? w.memberA.userId : w.gridWorkerA
}

async function ok(name: StepName, id: string, payload?: Record<string, unknown>) {
  const res = await step(t, actor(name), id, name, payload)
  expect(res.statusCode, `${name}: ${res.body}`).toBe(200)
  return res
}

/**
 * A request in each state, always by way of member A so that member A may see it: "open" is one that
 * member A declined, "cancelled" one cancelled while dispatched to member A.
 */
async function requestIn(state: State): Promise<string> {
  const id = await createRequest(t, w.gridWorkerA, w.branchA)
  await ok('dispatch', id, { memberId: w.memberA.memberId })
  if (state === 'open') await ok('decline', id)
  if (state === 'cancelled') await ok('cancel', id)
  if (['accepted', 'completed', 'confirmed'].includes(state)) await ok('accept', id)
  if (['completed', 'confirmed'].includes(state)) await ok('complete', id)
  if (state === 'confirmed') await ok('confirm', id)
  expect(await requestStatus(t.db, id)).toBe(state)
  return id
}

const LEGAL: Record<State, Partial<Record<StepName, State>>> = {
  open: { dispatch: 'dispatched', cancel: 'cancelled' },
  dispatched: { accept: 'accepted', decline: 'open', cancel: 'cancelled' },
  accepted: { complete: 'completed', cancel: 'cancelled' },
  completed: { confirm: 'confirmed' },
  confirmed: {},
  cancelled: {},
}
const STATES = Object.keys(LEGAL) as State[]
const STEPS: StepName[] = ['dispatch', 'accept', 'decline', 'complete', 'confirm', 'cancel']

describe('service request state machine', () => {
  const cases = STATES.flatMap((state) => STEPS.map((name) => ({ state, name, to: LEGAL[state][name] })))

  it.each(cases)(
    '$state + $name -> $to (else 409 invalid_state, nothing changed)',
    async ({ state, name, to }) => {
      const id = await requestIn(state)
      const auditsBefore = await auditCount(t.db, id)
      const payload = name === 'dispatch' ? { memberId: w.memberA.memberId } : undefined
      const res = await step(t, actor(name), id, name, payload)
      if (to) {
        expect(res.statusCode, res.body).toBe(200)
        expect(res.json().status).toBe(to)
        expect(await requestStatus(t.db, id)).toBe(to)
        expect(await auditCount(t.db, id, `service_request.${name}`)).toBeGreaterThanOrEqual(1)
        expect(await auditCount(t.db, id)).toBe(auditsBefore + 1)
      } else {
        expect(res.statusCode, res.body).toBe(409)
        expect(res.json().code).toBe('invalid_state')
        expect(await requestStatus(t.db, id)).toBe(state)
        expect(await auditCount(t.db, id)).toBe(auditsBefore)
      }
    },
  )

  it('is held by the database too: an illegal transition written in SQL is refused', async () => {
    const id = await requestIn('confirmed')
    expect(
      await refusal(t.db.execute(sql`update service_requests set status = 'open' where id = ${id}`)),
    ).toMatchObject({ code: '23514', constraint: 'service_requests_transition_chk' })
    const open = await createRequest(t, w.gridWorkerA, w.branchA)
    expect(
      await refusal(
        t.db.execute(
          sql`update service_requests set status = 'completed', hours_cents = 100, completed_at = now() where id = ${open}`,
        ),
      ),
    ).toMatchObject({ code: '23514', constraint: 'service_requests_transition_chk' })
  })
})

describe('racing steps', () => {
  let other: TestApp
  beforeAll(async () => {
    other = await buildTestApp()
  })
  afterAll(async () => {
    await other.app.close()
  })

  it('two accepts through two API processes: one wins, the other is 409 invalid_state', async () => {
    for (let round = 0; round < 3; round++) {
      const id = await requestIn('dispatched')
      const results = await Promise.all([
        step(t, w.memberA.userId, id, 'accept'),
        step(other, w.memberA.userId, id, 'accept'),
      ])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
      expect(results.find((r) => r.statusCode === 409)!.json().code).toBe('invalid_state')
      expect(await auditCount(t.db, id, 'service_request.accept')).toBe(1)
    }
  })

  it('two confirmations at once make one verified record', async () => {
    const id = await requestIn('completed')
    const results = await Promise.all([
      step(t, w.gridWorkerA, id, 'confirm'),
      step(other, w.secretaryA, id, 'confirm', { rating: 4 }),
    ])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
    const n = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from verified_service_hours where source_id = ${id}`,
    )
    expect(n!.n).toBe('1')
  })
})

describe('who may take which step', () => {
  it('only the dispatched member accepts: staff get 403, another member 404', async () => {
    const id = await requestIn('dispatched')
    const staff = await step(t, w.gridWorkerA, id, 'accept')
    expect(staff.statusCode).toBe(403)
    const stranger = await createMemberUser(t.db, w.branchA)
    expect((await step(t, stranger.userId, id, 'accept')).statusCode).toBe(404)
    expect((await step(t, w.memberB.userId, id, 'complete')).statusCode).toBe(404)
    expect(await requestStatus(t.db, id)).toBe('dispatched')
  })

  it('a member who declined may not accept after it went to someone else (409)', async () => {
    const id = await requestIn('open')
    const other = await createMember(t.db, w.branchA)
    await ok('dispatch', id, { memberId: other })
    const res = await step(t, w.memberA.userId, id, 'accept')
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('invalid_state')
  })

  it('remembers declines with their reasons', async () => {
    const id = await requestIn('open')
    const res = await t.call({ method: 'GET', url: `/api/v1/service-requests/${id}`, as: w.secretaryA })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'open',
      memberId: null,
      declines: [{ memberId: w.memberA.memberId, reason: '这周出差' }],
    })
    const mine = await t.call({ method: 'GET', url: `/api/v1/service-requests/${id}`, as: w.memberA.userId })
    expect(mine.statusCode).toBe(200)
  })

  it('the member who did the work may not confirm it (403 recused)', async () => {
    const staffMember = await createMember(t.db, w.branchA)
    const gridWorker = await createUser(t.db, { memberId: staffMember, grants: [['grid_worker', w.branchA]] })
    const id = await createRequest(t, w.gridWorkerA, w.branchA)
    await ok('dispatch', id, { memberId: staffMember })
    expect((await step(t, gridWorker, id, 'accept')).statusCode).toBe(200)
    expect((await step(t, gridWorker, id, 'complete')).statusCode).toBe(200)
    const res = await step(t, gridWorker, id, 'confirm')
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('recused')
    expect(await requestStatus(t.db, id)).toBe('completed')
  })

  it('staff outside the unit get 404 for every step, and members 403 for staff steps', async () => {
    const id = await requestIn('completed')
    for (const name of ['dispatch', 'confirm', 'cancel'] as const) {
      const payload = name === 'dispatch' ? { memberId: w.memberB.memberId } : undefined
      expect((await step(t, w.secretaryB, id, name, payload)).statusCode).toBe(404)
      expect((await step(t, w.memberA.userId, id, name, payload)).statusCode).toBe(403)
    }
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/service-requests/${id}`, as: w.secretaryB })).statusCode,
    ).toBe(404)
  })

  it('dispatches only to a member of the unit line or a registered (双报到) member', async () => {
    const id = await createRequest(t, w.admin, w.communityA)
    const outside = await step(t, w.admin, id, 'dispatch', { memberId: w.memberB.memberId })
    expect(outside.statusCode).toBe(422)
    expect(outside.json().code).toBe('out_of_range')
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${w.memberB.memberId}, ${w.communityA}, 'accepted', now())`,
    )
    const registered = await step(t, w.admin, id, 'dispatch', { memberId: w.memberB.memberId })
    expect(registered.statusCode, registered.body).toBe(200)
    expect(registered.json().memberName).toBe('李四')
  })
})

describe('completion and confirmation', () => {
  it('refuses hours of 0 or above 24.00 and a blank note, and takes 24.00', async () => {
    const id = await requestIn('accepted')
    const cases: [Record<string, unknown>, number][] = [
      [{ hours: 0, note: 'x' }, 400],
      [{ hours: '24.01', note: 'x' }, 422],
      [{ hours: '1.005', note: 'x' }, 400],
      [{ hours: '1.00', note: '  ' }, 400],
      [{ hours: '1.00' }, 400],
    ]
    for (const [payload, status] of cases) {
      expect(
        (await step(t, w.memberA.userId, id, 'complete', payload)).statusCode,
        JSON.stringify(payload),
      ).toBe(status)
    }
    expect(await requestStatus(t.db, id)).toBe('accepted')
    const done = await step(t, w.memberA.userId, id, 'complete', { hours: 24, note: '通宵陪护' })
    expect(done.statusCode).toBe(200)
    expect(done.json().hours).toBe('24.00')
  })

  it('turns the hours into one verified record of the member on confirmation, with the rating', async () => {
    const world = await createWorld(t.db)
    const id = await createRequest(t, world.gridWorkerA, world.branchA)
    await step(t, world.gridWorkerA, id, 'dispatch', { memberId: world.memberA.memberId })
    await step(t, world.memberA.userId, id, 'accept')
    await step(t, world.memberA.userId, id, 'complete', { hours: '0.75', note: '已送药' })
    const hoursUrl = `/api/v1/members/${world.memberA.memberId}/service-hours`
    expect((await t.call({ method: 'GET', url: hoursUrl, as: world.secretaryA })).json().totalHours).toBe(
      '0.00',
    )
    expect(await serviceRequestForClaim(t.db, id)).toBeUndefined()

    const bad = await step(t, world.gridWorkerA, id, 'confirm', { rating: 6 })
    expect(bad.statusCode).toBe(400)
    const res = await step(t, world.gridWorkerA, id, 'confirm', { rating: 5, feedback: '谢谢' })
    expect(res.json()).toMatchObject({ status: 'confirmed', rating: 5, feedback: '谢谢', hours: '0.75' })
    const hours = await t.call({ method: 'GET', url: hoursUrl, as: world.secretaryA })
    expect(hours.json().totalHours).toBe('0.75')
    expect(hours.json().records).toMatchObject([
      { source: 'service_request', sourceId: id, title: '代购药品' },
    ])
    expect(await serviceRequestForClaim(t.db, id)).toMatchObject({
      id,
      memberId: world.memberA.memberId,
      hoursCents: 75,
      orgUnitId: world.branchA,
    })
  })
})

describe('GET /api/v1/service-requests', () => {
  it('shows staff the requests of their units and a member those dispatched to them', async () => {
    const world = await createWorld(t.db)
    const a1 = await createRequest(t, world.gridWorkerA, world.gridA)
    const a2 = await createRequest(t, world.gridWorkerA, world.branchA)
    const b1 = await createRequest(t, world.secretaryB, world.branchB)
    await step(t, world.gridWorkerA, a2, 'dispatch', { memberId: world.memberA.memberId })

    const staff = await t.call({
      method: 'GET',
      url: `/api/v1/service-requests?orgUnitId=${world.branchA}`,
      as: world.secretaryA,
    })
    expect(staff.statusCode, staff.body).toBe(200)
    expect(staff.json().items.map((r: { id: string }) => r.id)).toEqual([a2, a1])
    const open = await t.call({
      method: 'GET',
      url: `/api/v1/service-requests?orgUnitId=${world.branchA}&status=open&limit=1`,
      as: world.secretaryA,
    })
    expect(open.json().items.map((r: { id: string }) => r.id)).toEqual([a1])
    const member = await t.call({ method: 'GET', url: '/api/v1/service-requests', as: world.memberA.userId })
    expect(member.json().items.map((r: { id: string }) => r.id)).toEqual([a2])
    const other = await t.call({ method: 'GET', url: '/api/v1/service-requests', as: world.secretaryB })
    const ids = other.json().items.map((r: { id: string }) => r.id)
    expect(ids).toContain(b1)
    expect(ids).not.toContain(a1)
    const outside = await t.call({
      method: 'GET',
      url: `/api/v1/service-requests?orgUnitId=${world.branchA}`,
      as: world.secretaryB,
    })
    expect(outside.statusCode).toBe(404)
  })

  it('pages through requests made within the same millisecond without skipping or repeating any', async () => {
    const world = await createWorld(t.db)
    const made = await rows<{ id: string }>(
      t.db,
      sql`insert into service_requests (org_unit_id, requester_name, title, description, created_by, created_at)
          select ${world.branchA}, 'r', 't' || i, 'd', ${world.gridWorkerA},
                 timestamptz '2026-01-01 08:00:00.123+08' + (i % 3) * interval '1 microsecond'
          from generate_series(1, 7) i returning id`,
    )
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `orgUnitId=${world.branchA}&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const page = await t.call({
        method: 'GET',
        url: `/api/v1/service-requests?${query}`,
        as: world.secretaryA,
      })
      expect(page.statusCode, page.body).toBe(200)
      seen.push(...page.json().items.map((r: { id: string }) => r.id))
      cursor = page.json().nextCursor
    } while (cursor)
    expect(seen).toHaveLength(7)
    expect(new Set(seen)).toEqual(new Set(made.map((m) => m.id)))
  })

  it('creates in scope only (404 outside, 403 for a member)', async () => {
    const payload = { orgUnitId: w.branchA, requesterName: '刘', title: 't', description: 'd' }
    const outside = await t.call({
      method: 'POST',
      url: '/api/v1/service-requests',
      as: w.secretaryB,
      payload,
    })
    expect(outside.statusCode).toBe(404)
    const member = await t.call({
      method: 'POST',
      url: '/api/v1/service-requests',
      as: w.memberA.userId,
      payload,
    })
    expect(member.statusCode).toBe(403)
  })
})
