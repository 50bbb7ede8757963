import { sql } from 'drizzle-orm'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { createPastActivity, createRequest } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUnit, createUser, createWorld, uniq, type World } from '../helpers/factories'
import { givePoints, idemKey, stockedReward } from '../helpers/rewards'
import { activeRubric, today } from '../helpers/scoring'

/**
 * The class of mistake behind security issue 15: an operation that relates two scoped objects (a team and a
 * member, a user and a unit, a reward and a member...) checked the first and took the second on trust. For every
 * such operation, one table: the caller acts on an object of their own with, as the second object, one outside
 * their scope. The answer must be, word for word, the answer about an id that does not exist, and nothing may
 * change. Each row also runs with a second object inside the scope and must succeed there, so a request that
 * fails for another reason (a wrong body, a missing fixture) cannot make the row pass vacuously.
 *
 * "Outside" is: a member at home in another community; and, for community C, members whose 双报到 registration
 * there is only pending, or has ended. Users outside are the other community's secretary and the admin.
 */
let t: TestApp
let w: World
let communityC: string
let secretaryC: string
let gridWorkerC: string
let clerkC: string
let rubricA: string
/** Members at home in branch B with a registration at community C in each state. */
const atC: Record<'pending' | 'ended' | 'accepted', string> = { pending: '', ended: '', accepted: '' }

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  communityC = await createUnit(t.db, w.street, 'community', uniq('和平社区'))
  secretaryC = await createUser(t.db, { grants: [['secretary', communityC]] })
  gridWorkerC = await createUser(t.db, { grants: [['grid_worker', communityC]] })
  clerkC = await createUser(t.db, { grants: [['clerk', communityC]] })
  for (const status of ['pending', 'ended', 'accepted'] as const) {
    const member = await createMember(t.db, w.branchB, { name: uniq(status) })
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at, ended_at)
          values (${member}, ${communityC}, ${status}, ${status === 'accepted' ? sql`now()` : null},
                  ${status === 'ended' ? sql`now()` : null})`,
    )
    await givePoints(t.db, member, 10_000)
    atC[status] = member
  }
  rubricA = await activeRubric(t, w)
})

interface Row {
  operation: string
  /** Who acts. */
  as: () => string
  /** The request relating the caller's own object to `other` (an id in a body or a path). */
  request: (other: string) => Promise<InjectOptions>
  /** Second objects outside the caller's scope. */
  outside: () => string[]
  /** A second object inside the scope: the same request must succeed with it. */
  inside: () => Promise<string>
}

const memberOfA = () => createMember(t.db, w.branchA, { name: uniq('成员') })
const counts = async () =>
  one<Record<string, string>>(
    t.db,
    sql`select (select count(*) from audit_events) as audit, (select count(*) from member_registrations) as regs,
               (select count(*) from users) as users, (select count(*) from role_grants) as grants,
               (select count(*) from team_members) as team_members,
               (select count(*) from activity_participants) as participants,
               (select count(*) from claims) as claims, (select count(*) from redemptions) as redemptions,
               (select count(*) from ledger_transactions) as transactions,
               (select count(*) from service_certificates) as certificates,
               (select count(*) from service_requests where status = 'dispatched') as dispatched`,
  )
const team = async (unitId: string) =>
  (await one<{ id: string }>(
    t.db,
    sql`insert into teams (org_unit_id, name) values (${unitId}, ${uniq('队')}) returning id`,
  ))!.id

/** What a person reading the answer learns, with every id in it masked (the random id differs by design). */
function seen(res: LightMyRequestResponse) {
  const mask = (s: unknown) =>
    typeof s === 'string'
      ? s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
      : s
  const body = res.json()
  return {
    status: res.statusCode,
    code: body.code,
    detail: mask(body.detail),
    errors: JSON.parse(mask(JSON.stringify(body.errors ?? null)) as string),
  }
}

const post = (url: string, payload: object, idem = false): InjectOptions => ({
  method: 'POST',
  url,
  payload,
  ...(idem ? { headers: { 'idempotency-key': idemKey() } } : {}),
})

const rows: Row[] = [
  {
    operation: 'registerMember',
    as: () => secretaryC,
    request: async (m) => post(`/api/v1/members/${m}/registrations`, { orgUnitId: communityC }),
    // Community C's secretary registers nobody; even the accepted member's home side is B.
    outside: () => [w.memberA.memberId, atC.pending, atC.accepted],
    inside: async () => 'skip',
  },
  {
    operation: 'registerMember (home side)',
    as: () => w.secretaryA,
    request: async (m) => post(`/api/v1/members/${m}/registrations`, { orgUnitId: w.communityB }),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'createUser',
    as: () => secretaryC,
    request: async (m) =>
      post('/api/v1/users', { username: uniq('login'), password: 'a-long-password-1', memberId: m }),
    outside: () => [atC.accepted, atC.pending, w.memberA.memberId],
    inside: async () => 'skip',
  },
  {
    operation: 'createUser (home side)',
    as: () => w.secretaryA,
    request: async (m) =>
      post('/api/v1/users', { username: uniq('login'), password: 'a-long-password-1', memberId: m }),
    outside: () => [w.memberB.memberId],
    inside: memberOfA,
  },
  {
    operation: 'grantRole',
    as: () => w.secretaryA,
    request: async (u) => post(`/api/v1/users/${u}/roles`, { role: 'panelist', orgUnitId: w.branchA }),
    outside: () => [w.secretaryB, w.admin, w.memberB.userId],
    inside: () => createUser(t.db, { grants: [['clerk', w.gridA]] }),
  },
  {
    operation: 'getUser',
    as: () => w.secretaryA,
    request: async (u) => ({ method: 'GET', url: `/api/v1/users/${u}` }),
    outside: () => [w.secretaryB, w.admin, w.memberB.userId],
    inside: async () => w.panelistA,
  },
  {
    operation: 'addTeamMember',
    as: () => w.gridWorkerA,
    request: async (m) => post(`/api/v1/teams/${await team(w.branchA)}/members`, { memberId: m }),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'addTeamMember (via 双报到)',
    as: () => gridWorkerC,
    request: async (m) => post(`/api/v1/teams/${await team(communityC)}/members`, { memberId: m }),
    outside: () => [atC.pending, atC.ended, w.memberA.memberId],
    inside: async () => atC.accepted,
  },
  {
    operation: 'recordParticipation',
    as: () => w.gridWorkerA,
    request: async (m) => ({
      method: 'PUT',
      url: `/api/v1/activities/${await createPastActivity(t, w.admin, w.branchA)}/participants/${m}`,
      payload: { hours: '1.00' },
    }),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'recordParticipation (via 双报到)',
    as: () => gridWorkerC,
    request: async (m) => ({
      method: 'PUT',
      url: `/api/v1/activities/${await createPastActivity(t, w.admin, communityC)}/participants/${m}`,
      payload: { hours: '1.00' },
    }),
    outside: () => [atC.pending, atC.ended, w.memberA.memberId],
    inside: async () => atC.accepted,
  },
  {
    operation: 'dispatchServiceRequest',
    as: () => w.gridWorkerA,
    request: async (m) =>
      post(`/api/v1/service-requests/${await createRequest(t, w.admin, w.branchA)}/dispatch`, {
        memberId: m,
      }),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'dispatchServiceRequest (via 双报到)',
    as: () => gridWorkerC,
    request: async (m) =>
      post(`/api/v1/service-requests/${await createRequest(t, w.admin, communityC)}/dispatch`, {
        memberId: m,
      }),
    outside: () => [atC.pending, atC.ended, w.memberA.memberId],
    inside: async () => atC.accepted,
  },
  {
    operation: 'createClaim',
    as: () => w.secretaryA,
    request: async (m) =>
      post('/api/v1/claims', {
        memberId: m,
        rubricId: rubricA,
        itemCode: 'STUDY',
        quantity: 1,
        occurredOn: today(),
        description: uniq('学习'),
      }),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'createClaim (via 双报到)',
    as: () => secretaryC,
    request: async (m) =>
      post('/api/v1/claims', {
        memberId: m,
        rubricId: rubricA,
        itemCode: 'STUDY',
        quantity: 1,
        occurredOn: today(),
        description: uniq('学习'),
      }),
    // Claims are the home branch's: an accepted registration does not let community C file one.
    outside: () => [atC.accepted, atC.pending, w.memberA.memberId],
    inside: async () => 'skip',
  },
  {
    operation: 'createRedemption',
    as: () => w.clerkA,
    request: async (m) =>
      post(
        '/api/v1/redemptions',
        {
          memberId: m,
          rewardId: (await stockedReward(t, w.clerkA, w.communityA, { stock: 5 })).id,
          quantity: 1,
        },
        true,
      ),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: async () => {
      const m = await memberOfA()
      await givePoints(t.db, m, 10_000)
      return m
    },
  },
  {
    operation: 'createRedemption (via 双报到)',
    as: () => clerkC,
    request: async (m) =>
      post(
        '/api/v1/redemptions',
        { memberId: m, rewardId: (await stockedReward(t, clerkC, communityC, { stock: 5 })).id, quantity: 1 },
        true,
      ),
    outside: () => [atC.pending, atC.ended, w.memberA.memberId],
    inside: async () => atC.accepted,
  },
  {
    operation: 'createAdjustment',
    as: () => w.secretaryA,
    request: async (m) =>
      post('/api/v1/ledger/adjustments', { memberId: m, amount: '5.00', reason: '补录' }, true),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'createAdjustment (via 双报到)',
    as: () => secretaryC,
    request: async (m) =>
      post('/api/v1/ledger/adjustments', { memberId: m, amount: '5.00', reason: '补录' }, true),
    // Points are the home branch's: community C corrects nobody's, accepted or not.
    outside: () => [atC.accepted, atC.pending, w.memberA.memberId],
    inside: async () => 'skip',
  },
  {
    operation: 'issueServiceCertificate',
    as: () => w.secretaryA,
    request: async (m) =>
      post(`/api/v1/members/${m}/service-certificates`, { from: '2026-01-01', to: '2026-12-31' }, true),
    outside: () => [w.memberB.memberId, atC.accepted],
    inside: memberOfA,
  },
  {
    operation: 'issueServiceCertificate (via 双报到)',
    as: () => secretaryC,
    request: async (m) =>
      post(`/api/v1/members/${m}/service-certificates`, { from: '2026-01-01', to: '2026-12-31' }, true),
    outside: () => [atC.pending, atC.ended, w.memberA.memberId],
    inside: async () => atC.accepted,
  },
  {
    operation: 'getMember, getBalance (via 双报到)',
    as: () => secretaryC,
    request: async (m) => ({ method: 'GET', url: `/api/v1/members/${m}/balance` }),
    outside: () => [atC.pending, atC.ended, w.memberA.memberId],
    inside: async () => atC.accepted,
  },
]

describe('an object outside the caller’s scope answers as one that does not exist, and nothing changes', () => {
  for (const row of rows) {
    it(row.operation, async () => {
      for (const other of row.outside()) {
        expect(other, 'a fixture is missing').toMatch(/^[0-9a-f-]{36}$/)
        const request = await row.request(other) // may make the caller's own object: before counting
        const before = await counts()
        const res = await t.call({ ...request, as: row.as() })
        const after = await counts()
        expect(after, `nothing changes for ${other}`).toEqual(before)
        const random = await t.call({ ...(await row.request(crypto.randomUUID())), as: row.as() })
        expect(seen(res), `the answer about ${other}`).toEqual(seen(random))
        expect(res.statusCode, res.body).toBe(404)
      }
      const inside = await row.inside()
      if (inside === 'skip') return
      const ok = await t.call({ ...(await row.request(inside)), as: row.as() })
      expect(ok.statusCode, `the same request inside the scope: ${ok.body}`).toBeLessThan(300)
    })
  }
})
