import { beforeAll, describe, expect, it, vi } from 'vitest'
import { localDate } from '../../src/shared/time'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld, type World } from '../helpers/factories'
import {
  activeRubric,
  claim,
  confirmedRequest,
  openRound,
  scoreOk,
  today,
  verifiedActivity,
} from '../helpers/scoring'

// getScoringRound as the panel reads it (issue 21's panelist queue): a panelist who is not a secretary may not
// list members or read activities, so the round itself carries each claim's member name and evidence resolved.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

const PHONE = '13912345678'
/** A resident identity number with a valid check digit, and its mask as the API gives it to staff. */
const IDENTITY = '11010519491231002X'
const MASKED = '1101**********002X'

interface Detail {
  memberName: string
  occurredOn: string
  quantity: string
  description: string
  source: string
  evidence: {
    activities: { id: string; title: string; date: string | null; hours: string | null }[]
    serviceRequests: {
      id: string
      title: string
      completedOn: string | null
      hours: string | null
      rating: number | null
    }[]
    links: string[]
  }
}
type RoundClaim = { claimId: string; memberId: string; detail: Detail | null }

const getRound = (as: string, id: string) =>
  t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${id}`, as })

/**
 * Branch A: 张三 (with a phone and an identity document on file) claims ENVIRON for a verified activity and a
 * confirmed request of his, 王五 a STUDY claim with no evidence; the panel is two panelists, neither a secretary.
 */
async function setup() {
  const w = await createWorld(t.db)
  const onFile = await t.call({
    method: 'PATCH',
    url: `/api/v1/members/${w.memberA.memberId}`,
    as: w.secretaryA,
    payload: { phone: PHONE, identityDocument: { type: 'resident_id', number: IDENTITY } },
  })
  expect(onFile.statusCode, onFile.body).toBe(200)
  const rubricId = await activeRubric(t, w)
  const activityId = await verifiedActivity(t, w, { participants: [[w.memberA.memberId, '3.50']] })
  const requestId = await confirmedRequest(t, w, w.memberA)
  const link = 'https://example.org/photos/cleanup.jpg'
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/claims',
    as: w.memberA.userId,
    payload: {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: 'ENVIRON',
      quantity: '3.50',
      occurredOn: today(),
      description: '楼道清理与代买药品',
      evidence: { activityIds: [activityId], serviceRequestIds: [requestId], links: [link] },
    },
  })
  expect(created.statusCode, created.body).toBe(201)
  const wang = await createMemberUser(t.db, w.branchA, { name: '王五' })
  const study = await claim(t, wang.userId, {
    memberId: wang.memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 1,
  })
  const second = await createUser(t.db, { grants: [['panelist', w.branchA]] })
  const round = await openRound(t, w, { rubricId, panelUserIds: [w.panelistA, second] })
  return { w, wang, second, round, activityId, requestId, link, envClaim: created.json().id as string, study }
}

describe('GET /api/v1/scoring-rounds/{id}: the claims as the panel reads them', () => {
  it('a panelist who is not a secretary sees each member’s name, the claim and its evidence resolved; no contact data', async () => {
    const { w, round, activityId, requestId, link, envClaim, study } = await setup()
    const activity = await t.call({
      method: 'GET',
      url: `/api/v1/activities/${activityId}`,
      as: w.gridWorkerA,
    })
    const heldOn = localDate(new Date(activity.json().startsAt), 'Asia/Shanghai')
    const request = await t.call({
      method: 'GET',
      url: `/api/v1/service-requests/${requestId}`,
      as: w.gridWorkerA,
    })
    const completedOn = localDate(new Date(request.json().completedAt), 'Asia/Shanghai')

    // What the queue could not do before: this panelist may neither list the members nor read the activity.
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/members?orgUnitId=${w.branchA}`, as: w.panelistA }))
        .statusCode,
    ).toBeGreaterThanOrEqual(403)
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/activities/${activityId}`, as: w.panelistA })).statusCode,
    ).toBeGreaterThanOrEqual(403)

    const res = await getRound(w.panelistA, round.id)
    expect(res.statusCode, res.body).toBe(200)
    const claims = res.json().claims as RoundClaim[]
    const env = claims.find((c) => c.claimId === envClaim)!
    expect(env.detail).toEqual({
      memberName: '张三',
      occurredOn: today(),
      quantity: '3.50',
      description: '楼道清理与代买药品',
      source: 'manual',
      evidence: {
        activities: [{ id: activityId, title: '社区环境整治', date: heldOn, hours: '3.50' }],
        serviceRequests: [{ id: requestId, title: '代买药品', completedOn, hours: '1.50', rating: 5 }],
        links: [link],
      },
    })
    expect(claims.find((c) => c.claimId === study.id)!.detail).toMatchObject({
      memberName: '王五',
      source: 'manual',
      evidence: { activities: [], serviceRequests: [], links: [] },
    })
    // Every claim of the round carries its detail (the ORDER claim the confirmation drafted, if in the round).
    expect(claims.every((c) => c.detail !== null)).toBe(true)
    // The name only: no phone, no identity document, nothing of the resident who asked for the service.
    expect(res.body).not.toContain(PHONE)
    expect(res.body).not.toContain(MASKED)
    expect(res.body).not.toContain(IDENTITY)
    expect(res.body).not.toContain('王阿姨')
    expect(res.body).not.toMatch(/"phone"|"identity|requester/i)
  })

  it('the secretary over the unit off the panel sees it too; the branch’s members get null', async () => {
    const { w, wang, second, round } = await setup()
    // The secretary over the branch, not on this panel.
    const sec = (await getRound(w.secretaryA, round.id)).json().claims as RoundClaim[]
    expect(sec.every((c) => c.detail?.memberName)).toBe(true)
    // The other panel member reads the same and scores from it.
    const panel = (await getRound(second, round.id)).json().claims as RoundClaim[]
    expect(panel.map((c) => c.detail?.memberName)).toEqual(expect.arrayContaining(['张三', '王五']))
    await scoreOk(t, second, round.id, panel[0]!.claimId, '1.00')
    // The branch's members see the round (results are theirs after close), not the panel's reading.
    for (const as of [w.memberA.userId, wang.userId]) {
      const res = await getRound(as, round.id)
      expect(res.statusCode).toBe(200)
      expect((res.json().claims as RoundClaim[]).every((c) => c.detail === null)).toBe(true)
      expect(res.body).not.toContain('楼道清理与代买药品')
      expect(res.body).not.toContain('代买药品')
    }
  })

  it('an outsider still gets 404 and learns nothing: the other branch’s secretary and panelist', async () => {
    const { w, round } = await setup()
    const panelistB = await createUser(t.db, { grants: [['panelist', w.branchB]] })
    for (const as of [w.secretaryB, panelistB, w.memberB.userId]) {
      const res = await getRound(as, round.id)
      expect(res.statusCode).toBe(404)
      expect(res.body).not.toContain('张三')
      expect(res.body).not.toContain('社区环境整治')
    }
    // Grid workers and clerks over the branch hold no round role: 403 as before.
    expect((await getRound(w.gridWorkerA, round.id)).statusCode).toBe(403)
    expect((await getRound(w.clerkA, round.id)).statusCode).toBe(403)
  })

  it('reads the detail of any number of claims in the same number of statements (no N+1)', async () => {
    const statements = async (claimsInRound: number) => {
      const w: World = await createWorld(t.db)
      const rubricId = await activeRubric(t, w)
      const members = [w.memberA]
      for (let i = 1; i < claimsInRound; i++) members.push(await createMemberUser(t.db, w.branchA))
      const activityId = await verifiedActivity(t, w, {
        participants: members.map((m) => [m.memberId, '2.00'] as [string, string]),
      })
      for (const m of members) {
        const res = await t.call({
          method: 'POST',
          url: '/api/v1/claims',
          as: m.userId,
          payload: {
            memberId: m.memberId,
            rubricId,
            itemCode: 'ENVIRON',
            quantity: '2.00',
            occurredOn: today(),
            description: '环境整治',
            evidence: { activityIds: [activityId] },
          },
        })
        expect(res.statusCode, res.body).toBe(201)
      }
      const round = await openRound(t, w, { rubricId, panelUserIds: [w.panelistA] })
      await getRound(w.panelistA, round.id) // warm: the caller's grants and the like are read the same each time
      const spy = vi.spyOn(t.db, 'execute')
      try {
        const res = await getRound(w.panelistA, round.id)
        const claims = res.json().claims as RoundClaim[]
        expect(claims).toHaveLength(claimsInRound)
        expect(claims.every((c) => c.detail?.evidence.activities[0]?.hours === '2.00')).toBe(true)
        return spy.mock.calls.length
      } finally {
        spy.mockRestore()
      }
    }
    const one = await statements(1)
    const six = await statements(6)
    expect(one).toBeGreaterThan(0)
    expect(six).toBe(one)
  })
})
