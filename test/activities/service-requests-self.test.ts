import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { SERVICE_REQUEST_STATUSES } from '../../src/db/schema/activities'
import { REQUEST_STEPS } from '../../src/modules/activities/domain'
import { auditCount, requestStatus } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  createMemberUser,
  createResidentUser,
  createUser,
  createWorld,
  uniq,
  type World,
} from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { activeRubric } from '../helpers/scoring'

/**
 * 群众点单 by residents themselves (issue 18): residents place, follow and confirm their own requests; requests
 * go to a team (any member of it accepts, the first wins) or onto the community's board (a member who may serve
 * there takes it, the first wins, across processes); 微心愿 (wishes) go the same way.
 */

let t: TestApp
let other: TestApp
let w: World
/** A grid worker of community A: the requests residents place are at their community. */
let communityStaff: string
let resident: { residentId: string; userId: string }
let neighbour: { residentId: string; userId: string }

const PHONE = '13705551234'

beforeAll(async () => {
  t = await buildTestApp()
  other = await buildTestApp()
  w = await createWorld(t.db)
  communityStaff = await createUser(t.db, { grants: [['grid_worker', w.communityA]] })
  resident = await createResidentUser(t.db, w.communityA, { name: '王秀兰', phone: PHONE })
  neighbour = await createResidentUser(t.db, w.communityA, { name: '李桂芳', phone: '13900002222' })
})
afterAll(async () => {
  await other.app.close()
})

type Payload = Record<string, unknown>
const post = (app: TestApp, as: string, url: string, payload?: Payload) =>
  app.call({ method: 'POST', url: `/api/v1${url}`, as, ...(payload ? { payload } : {}) })
const get = (as: string, url: string) => t.call({ method: 'GET', url: `/api/v1${url}`, as })

async function order(as = resident.userId, extra: Payload = {}): Promise<string> {
  const res = await post(t, as, '/service-requests', {
    title: '帮忙更换厨房灯泡',
    description: '4 号楼 2 单元 301，厨房吸顶灯不亮',
    ...extra,
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

async function published(extra: Payload = {}): Promise<string> {
  const id = await order(resident.userId, extra)
  const res = await post(t, communityStaff, `/service-requests/${id}/publish`)
  expect(res.statusCode, res.body).toBe(200)
  return id
}

async function team(members: string[]): Promise<string> {
  const row = await one<{ id: string }>(
    t.db,
    sql`insert into teams (org_unit_id, name) values (${w.branchA}, ${uniq('志愿服务队')}) returning id`,
  )
  for (const m of members) {
    await t.db.execute(sql`insert into team_members (team_id, member_id) values (${row!.id}, ${m})`)
  }
  return row!.id
}

describe('a resident places and follows their own requests', () => {
  it('orders at their community under the name and phone of their record', async () => {
    const res = await post(t, resident.userId, '/service-requests', {
      title: '帮忙更换厨房灯泡',
      description: '厨房吸顶灯不亮',
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({
      orgUnitId: w.communityA,
      kind: 'service',
      requesterName: '王秀兰',
      requesterContact: PHONE,
      residentId: resident.residentId,
      status: 'open',
      declines: [],
    })
    expect(await auditCount(t.db, res.json().id, 'service_request.create')).toBe(1)
    // Their own community may be named; another one reads as not there; name and phone are not theirs to give.
    const named = await post(t, resident.userId, '/service-requests', {
      orgUnitId: w.communityA,
      title: 't',
      description: 'd',
    })
    expect(named.statusCode).toBe(201)
    const elsewhere = await post(t, resident.userId, '/service-requests', {
      orgUnitId: w.communityB,
      title: 't',
      description: 'd',
    })
    expect(elsewhere.statusCode).toBe(404)
    const asSomeone = await post(t, resident.userId, '/service-requests', {
      requesterName: '张三',
      title: 't',
      description: 'd',
    })
    expect(asSomeone.statusCode).toBe(400)
    expect(asSomeone.json().errors[0].field).toBe('requesterName')
  })

  it('staff still key requests in, and must name the unit and the requester', async () => {
    const missing = await post(t, w.gridWorkerA, '/service-requests', { title: 't', description: 'd' })
    expect(missing.statusCode).toBe(400)
    const noName = await post(t, w.gridWorkerA, '/service-requests', {
      orgUnitId: w.branchA,
      title: 't',
      description: 'd',
    })
    expect(noName.statusCode).toBe(400)
    const member = await post(t, w.memberA.userId, '/service-requests', { title: 't', description: 'd' })
    expect(member.statusCode).toBe(403)
  })

  it('sees only their own requests: listed under /me, another resident’s reads as not there', async () => {
    const mine = await order()
    const theirs = await order(neighbour.userId)
    const keyedIn = await post(t, communityStaff, '/service-requests', {
      orgUnitId: w.communityA,
      requesterName: '王秀兰',
      title: 't',
      description: 'd',
    })
    const list = await get(resident.userId, '/me/service-requests?limit=200')
    expect(list.statusCode, list.body).toBe(200)
    const ids = list.json().items.map((r: { id: string }) => r.id)
    expect(ids).toContain(mine)
    expect(ids).not.toContain(theirs)
    expect(ids).not.toContain(keyedIn.json().id)
    expect(list.json().items.every((r: { residentId: string }) => r.residentId === resident.residentId)).toBe(
      true,
    )
    expect((await get(resident.userId, `/service-requests/${mine}`)).statusCode).toBe(200)
    const foreign = await get(resident.userId, `/service-requests/${theirs}`)
    expect(foreign.statusCode).toBe(404)
    expect((await get(resident.userId, `/service-requests/${keyedIn.json().id}`)).statusCode).toBe(404)
    // Residents have no staff list; members and staff without a member record have no resident list.
    expect((await get(resident.userId, '/service-requests')).statusCode).toBe(403)
    expect((await get(w.secretaryA, '/me/service-requests')).statusCode).toBe(403)
  })

  it('follows the state of their request through /me with status filter', async () => {
    const id = await published()
    const list = await get(resident.userId, '/me/service-requests?status=published')
    expect(list.json().items.map((r: { id: string }) => r.id)).toContain(id)
    expect(list.json().items.every((r: { status: string }) => r.status === 'published')).toBe(true)
  })
})

describe('dispatch to a team', () => {
  it('takes exactly one of memberId and teamId', async () => {
    const id = await order()
    const teamId = await team([w.memberA.memberId])
    const both = await post(t, communityStaff, `/service-requests/${id}/dispatch`, {
      memberId: w.memberA.memberId,
      teamId,
    })
    expect(both.statusCode).toBe(400)
    expect((await post(t, communityStaff, `/service-requests/${id}/dispatch`, {})).statusCode).toBe(400)
    expect(await requestStatus(t.db, id)).toBe('open')
  })

  it('refuses a team off the request’s line (422 in scope, 404 outside)', async () => {
    const id = await post(t, w.gridWorkerA, '/service-requests', {
      orgUnitId: w.branchA,
      requesterName: '刘',
      title: 't',
      description: 'd',
    })
    const row = await one<{ id: string }>(
      t.db,
      sql`insert into teams (org_unit_id, name) values (${w.branchB}, ${uniq('B队')}) returning id`,
    )
    const url = `/service-requests/${id.json().id}/dispatch`
    expect((await post(t, w.gridWorkerA, url, { teamId: row!.id })).statusCode).toBe(404)
    const admin = await post(t, w.admin, url, { teamId: row!.id })
    expect(admin.statusCode).toBe(422)
    expect(admin.json().code).toBe('out_of_range')
  })

  it('any member of the team may accept; of two racing through two processes one wins, the other 409', async () => {
    for (let round = 0; round < 3; round++) {
      const x = await createMemberUser(t.db, w.branchA)
      const y = await createMemberUser(t.db, w.branchA)
      const teamId = await team([x.memberId, y.memberId])
      const id = await order()
      const sent = await post(t, communityStaff, `/service-requests/${id}/dispatch`, { teamId })
      expect(sent.statusCode, sent.body).toBe(200)
      expect(sent.json()).toMatchObject({ status: 'dispatched', memberId: null, teamId })
      // Members of the team see it; another member does not.
      expect((await get(x.userId, `/service-requests/${id}`)).statusCode).toBe(200)
      expect(
        (await get(x.userId, '/me/service-requests')).json().items.map((r: { id: string }) => r.id),
      ).toContain(id)
      expect((await post(t, w.memberB.userId, `/service-requests/${id}/accept`)).statusCode).toBe(404)

      const results = await Promise.all([
        post(t, x.userId, `/service-requests/${id}/accept`),
        post(other, y.userId, `/service-requests/${id}/accept`),
      ])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
      expect(results.find((r) => r.statusCode === 409)!.json().code).toBe('invalid_state')
      const winner = results[0]!.statusCode === 200 ? x : y
      const row = await one<{ memberId: string; status: string }>(
        t.db,
        sql`select member_id as "memberId", status from service_requests where id = ${id}`,
      )
      expect(row).toEqual({ memberId: winner.memberId, status: 'accepted' })
      expect(await auditCount(t.db, id, 'service_request.accept')).toBe(1)
    }
  })

  it('a team member declining leaves it with the others; when all have declined it is open again', async () => {
    const x = await createMemberUser(t.db, w.branchA)
    const y = await createMemberUser(t.db, w.branchA)
    const teamId = await team([x.memberId, y.memberId])
    const id = await order()
    await post(t, communityStaff, `/service-requests/${id}/dispatch`, { teamId })
    const first = await post(t, x.userId, `/service-requests/${id}/decline`, { reason: '出差' })
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ status: 'dispatched', teamId, declines: [{ memberId: x.memberId }] })
    // The one who declined may neither accept nor decline again.
    expect((await post(t, x.userId, `/service-requests/${id}/accept`)).statusCode).toBe(409)
    expect((await post(t, x.userId, `/service-requests/${id}/decline`, {})).statusCode).toBe(409)
    const last = await post(t, y.userId, `/service-requests/${id}/decline`, {})
    expect(last.statusCode, last.body).toBe(200)
    expect(last.json()).toMatchObject({ status: 'open', teamId: null, memberId: null })
    expect(await auditCount(t.db, id, 'service_request.decline')).toBe(2)
    // Dispatched to the team again, the earlier declines no longer count.
    await post(t, communityStaff, `/service-requests/${id}/dispatch`, { teamId })
    const again = await post(t, x.userId, `/service-requests/${id}/accept`)
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json().memberId).toBe(x.memberId)
  })
})

describe("the community's board", () => {
  it('staff publish an open request; members who may serve there see it without phone or resident', async () => {
    const id = await published()
    const board = await get(w.memberA.userId, `/service-requests/board?orgUnitId=${w.communityA}&limit=200`)
    expect(board.statusCode, board.body).toBe(200)
    const entry = board.json().items.find((e: { id: string }) => e.id === id)
    expect(entry).toMatchObject({ id, orgUnitId: w.communityA, kind: 'service', requesterName: '王**' })
    expect(entry).not.toHaveProperty('requesterContact')
    expect(entry).not.toHaveProperty('residentId')
    expect(board.body).not.toContain(PHONE)
    expect(board.body).not.toContain(resident.residentId)
    // A member of another community, not registered there, sees none of it and may not take it.
    const elsewhere = await get(w.memberB.userId, '/service-requests/board?limit=200')
    expect(elsewhere.json().items.map((e: { id: string }) => e.id)).not.toContain(id)
    expect(
      (await get(w.memberB.userId, `/service-requests/board?orgUnitId=${w.communityA}`)).statusCode,
    ).toBe(404)
    expect((await post(t, w.memberB.userId, `/service-requests/${id}/take`)).statusCode).toBe(404)
    expect((await get(resident.userId, '/service-requests/board')).statusCode).toBe(403)
    // Registered with community A (双报到), member B serves there too.
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
          values (${w.memberB.memberId}, ${w.communityA}, 'accepted', now())
          on conflict do nothing`,
    )
    const registered = await get(
      w.memberB.userId,
      `/service-requests/board?orgUnitId=${w.communityA}&limit=200`,
    )
    expect(registered.json().items.map((e: { id: string }) => e.id)).toContain(id)
  })

  it('members racing to take it through two processes: exactly one 200, the rest 409 invalid_state', async () => {
    const takers = await Promise.all([1, 2, 3, 4].map(() => createMemberUser(t.db, w.branchA)))
    for (let round = 0; round < 3; round++) {
      const id = await published()
      const results = await Promise.all(
        takers.map((m, i) => post(i % 2 ? other : t, m.userId, `/service-requests/${id}/take`)),
      )
      const codes = results.map((r) => r.statusCode)
      expect(codes.filter((c) => c === 200)).toHaveLength(1)
      expect(codes.filter((c) => c === 409)).toHaveLength(takers.length - 1)
      for (const r of results.filter((r) => r.statusCode === 409)) expect(r.json().code).toBe('invalid_state')
      const winner = takers[codes.indexOf(200)]!
      const won = results[codes.indexOf(200)]!.json()
      expect(won).toMatchObject({ status: 'accepted', memberId: winner.memberId, requesterContact: PHONE })
      expect(await auditCount(t.db, id, 'service_request.take')).toBe(1)
      const board = await get(winner.userId, '/service-requests/board?limit=200')
      expect(board.json().items.map((e: { id: string }) => e.id)).not.toContain(id)
    }
  })

  it('only staff over it publish and unpublish; staff may take it off the board or cancel it', async () => {
    const id = await order()
    expect((await post(t, w.memberA.userId, `/service-requests/${id}/publish`)).statusCode).toBe(403)
    expect((await post(t, w.secretaryB, `/service-requests/${id}/publish`)).statusCode).toBe(404)
    expect((await post(t, resident.userId, `/service-requests/${id}/publish`)).statusCode).toBe(403)
    expect((await post(t, communityStaff, `/service-requests/${id}/publish`)).statusCode).toBe(200)
    expect((await post(t, communityStaff, `/service-requests/${id}/publish`)).statusCode).toBe(409)
    const off = await post(t, communityStaff, `/service-requests/${id}/unpublish`)
    expect(off.statusCode, off.body).toBe(200)
    expect(off.json()).toMatchObject({ status: 'open', publishedAt: null })
    expect((await post(t, w.memberA.userId, `/service-requests/${id}/take`)).statusCode).toBe(409)
    await post(t, communityStaff, `/service-requests/${id}/publish`)
    const cancelled = await post(t, communityStaff, `/service-requests/${id}/cancel`, {
      reason: '已由物业处理',
    })
    expect(cancelled.json().status).toBe('cancelled')
    expect((await post(t, communityStaff, `/service-requests/${id}/unpublish`)).statusCode).toBe(409)
  })

  it("the database's state machine has exactly the service's moves", async () => {
    const service = new Set(
      Object.values(REQUEST_STEPS).flatMap(({ from, to }) => from.map((f: string) => `${f}>${to}`)),
    )
    const database = await rows<{ move: string }>(
      t.db,
      sql`select f || '>' || tt as move
          from unnest(string_to_array(${SERVICE_REQUEST_STATUSES.join(',')}, ',')) f,
               unnest(string_to_array(${SERVICE_REQUEST_STATUSES.join(',')}, ',')) tt
          where f <> tt and state_move_allowed('service_requests', f, tt)`,
    )
    expect(new Set(database.map((r) => r.move))).toEqual(service)
  })

  it('is held by the database: a published request cannot jump to completed or confirmed', async () => {
    const id = await published()
    expect(
      await refusal(
        t.db.execute(
          sql`update service_requests set status = 'completed', member_id = ${w.memberA.memberId},
                     hours_cents = 100, completed_at = now() where id = ${id}`,
        ),
      ),
    ).toMatchObject({ code: '23514', constraint: 'service_requests_transition_chk' })
    expect(
      await refusal(
        t.db.execute(
          sql`update service_requests set status = 'dispatched', member_id = ${w.memberA.memberId}, dispatched_at = now() where id = ${id}`,
        ),
      ),
    ).toMatchObject({ code: '23514', constraint: 'service_requests_transition_chk' })
    expect(await requestStatus(t.db, id)).toBe('published')
  })
})

describe('微心愿 (wishes)', () => {
  it('a wish is published, taken, fulfilled and confirmed like a service, with its hours', async () => {
    const id = await published({ kind: 'wish', title: '给孙子买一个新书包', description: '旧书包背带断了' })
    const board = await get(w.memberA.userId, `/service-requests/board?kind=wish&limit=200`)
    const entries = board.json().items
    expect(entries.map((e: { id: string }) => e.id)).toContain(id)
    expect(entries.every((e: { kind: string }) => e.kind === 'wish')).toBe(true)
    const services = await get(w.memberA.userId, `/service-requests/board?kind=service&limit=200`)
    expect(services.json().items.map((e: { id: string }) => e.id)).not.toContain(id)

    const m = await createMemberUser(t.db, w.branchA)
    expect((await post(t, m.userId, `/service-requests/${id}/take`)).statusCode).toBe(200)
    const done = await post(t, m.userId, `/service-requests/${id}/complete`, {
      hours: '0.50',
      note: '书包已送到',
    })
    expect(done.statusCode, done.body).toBe(200)
    expect(done.json()).toMatchObject({ kind: 'wish', status: 'completed', hours: '0.50' })
    const rated = await post(t, resident.userId, `/service-requests/${id}/confirm`, { rating: 5 })
    expect(rated.json()).toMatchObject({ kind: 'wish', status: 'confirmed', rating: 5 })
  })
})

describe('the resident confirms and rates', () => {
  async function completedByMember(): Promise<{ id: string; member: { memberId: string; userId: string } }> {
    const id = await published()
    const member = await createMemberUser(t.db, w.branchA)
    expect((await post(t, member.userId, `/service-requests/${id}/take`)).statusCode).toBe(200)
    const done = await post(t, member.userId, `/service-requests/${id}/complete`, {
      hours: '1.25',
      note: '已更换',
    })
    expect(done.statusCode, done.body).toBe(200)
    return { id, member }
  }

  it('their own only: another resident 404, the member who did it 403, before completion 409', async () => {
    const early = await published()
    expect(
      (await post(t, resident.userId, `/service-requests/${early}/confirm`, { rating: 4 })).statusCode,
    ).toBe(409)
    const { id, member } = await completedByMember()
    expect(
      (await post(t, neighbour.userId, `/service-requests/${id}/confirm`, { rating: 1 })).statusCode,
    ).toBe(404)
    expect((await post(t, member.userId, `/service-requests/${id}/confirm`, { rating: 5 })).statusCode).toBe(
      403,
    )
    const res = await post(t, resident.userId, `/service-requests/${id}/confirm`, {
      rating: 4,
      feedback: '很及时',
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'confirmed',
      rating: 4,
      feedback: '很及时',
      hours: '1.25',
      declines: [],
    })
    const audit = await one<{ actor: string }>(
      t.db,
      sql`select actor_user_id as actor from audit_events where target_id = ${id} and action = 'service_request.confirm'`,
    )
    expect(audit?.actor).toBe(resident.userId)
  })
})

describe('the seed flow end to end', () => {
  it('a resident orders, the community publishes, a member takes, completes, the resident confirms: hours and a claim', async () => {
    const world = await createWorld(t.db)
    await activeRubric(t, world)
    const staff = await createUser(t.db, { grants: [['grid_worker', world.communityA]] })
    const elder = await createResidentUser(t.db, world.communityA, { name: '周桂兰', phone: '13811112222' })
    const member = world.memberA

    const placed = await post(t, elder.userId, '/service-requests', {
      title: '代购降压药',
      description: '行动不便，请帮忙去药店买降压药',
    })
    expect(placed.statusCode, placed.body).toBe(201)
    const id = placed.json().id
    expect((await post(t, staff, `/service-requests/${id}/publish`)).json().status).toBe('published')
    const board = await get(member.userId, `/service-requests/board?orgUnitId=${world.communityA}`)
    expect(board.json().items.map((e: { id: string }) => e.id)).toEqual([id])
    expect((await post(t, member.userId, `/service-requests/${id}/take`)).json().status).toBe('accepted')
    const done = await post(t, member.userId, `/service-requests/${id}/complete`, {
      hours: '1.50',
      note: '药已送到',
    })
    expect(done.json().status).toBe('completed')
    const mine = await get(elder.userId, '/me/service-requests')
    expect(mine.json().items).toMatchObject([{ id, status: 'completed', memberName: '张三', hours: '1.50' }])

    const hoursUrl = `/members/${member.memberId}/service-hours`
    expect((await get(world.secretaryA, hoursUrl)).json().totalHours).toBe('0.00')
    const confirmed = await post(t, elder.userId, `/service-requests/${id}/confirm`, {
      rating: 5,
      feedback: '谢谢',
    })
    expect(confirmed.statusCode, confirmed.body).toBe(200)
    const hours = (await get(world.secretaryA, hoursUrl)).json()
    expect(hours.totalHours).toBe('1.50')
    expect(hours.records).toMatchObject([{ source: 'service_request', sourceId: id }])

    const claims = await get(member.userId, '/claims')
    expect(claims.statusCode, claims.body).toBe(200)
    const claim = claims
      .json()
      .items.find((c: { evidence: { serviceRequestIds: string[] } }) =>
        c.evidence.serviceRequestIds.includes(id),
      )
    expect(claim).toMatchObject({ memberId: member.memberId, itemCode: 'ORDER', status: 'submitted' })
  })
})
