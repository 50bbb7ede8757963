import { sql } from 'drizzle-orm'
import { rows } from '../../src/db/client'
import { createRequest, recordHours, type StepName, step, verifiedActivity } from '../helpers/activities'
import type { TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld, TEST_PASSWORD, type World } from '../helpers/factories'
import { givePoints, idemKey, redeem, stockedReward } from '../helpers/rewards'
import { activeRubric, claim, openRound, panel, today } from '../helpers/scoring'

/** What the fuzzer may aim at: ids by kind, so a path like /rewards/{id} mostly gets a reward's id. */
export interface Seeded {
  world: World
  ids: Record<string, string[]>
  /** Single objects in a known state, for the happy-path requests (a request to accept, a draft rubric...). */
  named: Record<string, string>
  /** The seeded rubric's items, as PUT /rubrics/{id}/items takes them. */
  rubricItems: unknown[]
  byName: Record<string, unknown[]>
  actors: { name: string; userId?: string; authorization?: string }[]
}

async function must<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    throw new Error(`fuzz seed: ${what} failed: ${(err as Error).message}`)
  }
}

/**
 * A small organisation with one of every object, made the way users make them (through the routes where a
 * helper exists), so fuzzed requests find real rows and reach the services' deeper rules.
 */
export async function seedForFuzz(t: TestApp): Promise<Seeded> {
  const w = await createWorld(t.db)
  const memberA2 = await createMemberUser(t.db, w.gridA, { name: '王五' })
  const spare = await createUser(t.db, { grants: [['grid_worker', w.gridA]] })
  const rubricId = await must('rubric', () => activeRubric(t, w))
  const rubric = (
    await t.call({ method: 'GET', url: `/api/v1/rubrics/${rubricId}`, as: w.secretaryA })
  ).json()
  const itemCodes: string[] = rubric.items.map((i: { code: string }) => i.code)
  const claimA = await must('claim', () =>
    claim(t, w.memberA.userId, {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: itemCodes[0]!,
      quantity: '1',
    }),
  )
  const claimA2 = await must('claim 2', () =>
    claim(t, memberA2.userId, {
      memberId: memberA2.memberId,
      rubricId,
      itemCode: itemCodes[0]!,
      quantity: '1',
    }),
  )
  const round = await must('round', async () =>
    openRound(t, w, { rubricId, panelUserIds: await panel(t.db, w) }),
  )
  const activityId = await must('activity', () =>
    verifiedActivity(t, w.secretaryA, w.branchA, [
      [w.memberA.memberId, '2.50'],
      [memberA2.memberId, '1.00'],
    ]),
  )
  // 报名: member A stayed on the waitlist of that activity (written straight: its sign-up window is long closed)
  await t.db.execute(
    sql`insert into activity_sign_ups (activity_id, member_id, status, signed_up_by)
        values (${activityId}, ${w.memberA.memberId}, 'waitlisted', ${w.memberA.userId})`,
  )
  // 签到 / 签退: member A's stay there, checked in and out by the secretary (written straight: it is verified)
  await t.db.execute(
    sql`insert into activity_check_ins (activity_id, member_id, checked_in_at, check_in_method, checked_in_by,
          check_in_reason, checked_out_at, check_out_method, checked_out_by, check_out_reason, hours_cents)
        select id, ${w.memberA.memberId}, starts_at, 'staff', ${w.secretaryA}, '没有智能手机',
               starts_at + interval '2 hours 30 minutes', 'staff', ${w.secretaryA}, '没有智能手机', 250
        from activities where id = ${activityId}`,
  )
  // 更正: member A's verified 2.50 there corrected once, so the corrections of that participation list one
  await must('correction', async () => {
    const r = await t.call({
      method: 'POST',
      url: `/api/v1/activities/${activityId}/participants/${w.memberA.memberId}/corrections`,
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { hours: '2.25', reason: '签退时间核对后更正' },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
  })
  const openActivity = await must('open activity', async () => {
    const r = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: '敬老院探访',
        startsAt: new Date(Date.now() - 5 * 3_600_000).toISOString(),
        endsAt: new Date(Date.now() - 3_600_000).toISOString(),
      },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  // one participant already in, so removing one can succeed
  await must('participant', async () => {
    const r = await recordHours(t, w.secretaryA, openActivity, memberA2.memberId, '1.00')
    if (r.statusCode !== 201) throw new Error(r.body)
  })
  const requestId = await must('service request', () => createRequest(t, w.gridWorkerA, w.branchA))
  // One service request in each state, so every step of the workflow has one it may take.
  const requestIn = async (steps: [StepName, string][]) => {
    const id = await createRequest(t, w.gridWorkerA, w.branchA)
    for (const [name, as] of steps) {
      const r = await step(
        t,
        as,
        id,
        name,
        name === 'dispatch' ? { memberId: w.memberA.memberId } : undefined,
      )
      if (r.statusCode !== 200) throw new Error(`fuzz seed: ${name}: ${r.body}`)
    }
    return id
  }
  const dispatched = await requestIn([['dispatch', w.gridWorkerA]])
  const accepted = await requestIn([
    ['dispatch', w.gridWorkerA],
    ['accept', w.memberA.userId],
  ])
  const completed = await requestIn([
    ['dispatch', w.gridWorkerA],
    ['accept', w.memberA.userId],
    ['complete', w.memberA.userId],
  ])
  const draftRubric = await must('draft rubric', async () => {
    const r = await t.call({
      method: 'POST',
      url: '/api/v1/rubrics',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        year: Number(today().slice(0, 4)) + 1,
        name: '明年细则',
        fromTemplate: 'default',
      },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  // submitted after the round opened: outside it, so its claimant may still withdraw it
  const looseClaim = await must('claim 3', () =>
    claim(t, memberA2.userId, {
      memberId: memberA2.memberId,
      rubricId,
      itemCode: itemCodes[1]!,
      quantity: '1',
    }),
  )
  const reward = await must('reward', () =>
    stockedReward(t, w.clerkA, w.communityA, { pointsCost: '1.00', stock: 50 }),
  )
  await givePoints(t.db, w.memberA.memberId, 1_000_000)
  await givePoints(t.db, memberA2.memberId, 500)
  const redemption = await must('redemption', async () => {
    const r = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId: reward.id })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  const redemption2 = await must('redemption 2', async () => {
    const r = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId: reward.id })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  const adjustment = await must('adjustment', async () => {
    const r = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { memberId: w.memberA.memberId, amount: '3.00', reason: '补录' },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  const certificate = await must('certificate', async () => {
    const r = await t.call({
      method: 'POST',
      url: `/api/v1/members/${w.memberA.memberId}/service-certificates`,
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { from: `${today().slice(0, 4)}-01-01`, to: today() },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json() as { id: string; verificationCode: string }
  })
  const certificateRequest = await must('certificate request', async () => {
    const r = await t.call({
      method: 'POST',
      url: '/api/v1/service-certificate-requests',
      as: w.memberA.userId,
      headers: { 'idempotency-key': idemKey() },
      payload: { from: `${today().slice(0, 4)}-01-01`, to: today(), orgUnitId: w.branchA },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  const team = await must('team', async () => {
    const r = await t.call({
      method: 'POST',
      url: '/api/v1/teams',
      as: w.secretaryA,
      payload: { orgUnitId: w.branchA, name: '红马甲志愿服务队' },
    })
    if (r.statusCode !== 201) throw new Error(r.body)
    return r.json().id as string
  })
  const objection = await must('objection', async () => {
    const r = await t.call({
      method: 'POST',
      url: `/api/v1/claims/${claimA.id}/objections`,
      as: w.memberA.userId,
      payload: { reason: '分数不对' },
    })
    return r.statusCode === 201 ? [r.json().id as string] : []
  })
  const login = await t.call({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: (await usernames(t, [w.clerkA]))[0], password: TEST_PASSWORD },
  })
  const refreshToken = login.statusCode === 200 ? [login.json().refreshToken as string] : []

  // Only the spare user's grants may be revoked by a fuzzed DELETE: the actors keep their roles all run long.
  const grants = await rows<{ id: string }>(t.db, sql`select id from role_grants where user_id = ${spare}`)
  const units = [w.root, w.district, w.street, w.communityA, w.branchA, w.gridA, w.communityB, w.branchB]
  const users = [
    w.admin,
    w.secretaryA,
    w.secretaryB,
    w.panelistA,
    w.gridWorkerA,
    w.clerkA,
    w.clerkB,
    w.memberA.userId,
    w.memberB.userId,
    memberA2.userId,
    spare,
  ]
  const members = [w.memberA.memberId, w.memberB.memberId, memberA2.memberId]
  const ids: Record<string, string[]> = {
    units,
    users,
    members,
    teams: [team],
    activities: [activityId, openActivity],
    requests: [requestId, dispatched, accepted, completed],
    certificates: [certificate.id],
    codes: [certificate.verificationCode],
    certificateRequests: [certificateRequest],
    rubrics: [rubricId, draftRubric],
    claims: [claimA.id, claimA2.id, looseClaim.id],
    rounds: [round.id],
    objections: objection,
    transactions: [adjustment],
    rewards: [reward.id],
    redemptions: [redemption, redemption2],
    grants: grants.map((g) => g.id),
  }
  const byName: Record<string, unknown[]> = {
    orgUnitId: units,
    parentId: units,
    memberId: members,
    userId: users,
    panelUserIds: [w.secretaryA, w.panelistA],
    rubricId: [rubricId],
    copyFromRubricId: [rubricId],
    roundId: [round.id],
    rewardId: [reward.id],
    teamId: [team],
    activityIds: [activityId, openActivity],
    serviceRequestIds: [requestId],
    targetId: [...members, reward.id, claimA.id],
    itemCode: itemCodes,
    rubricItemCode: itemCodes,
    username: await usernames(t, [w.clerkA, w.memberA.userId, w.admin]),
    password: [TEST_PASSWORD],
    refreshToken,
    amount: ['1.00', '-1.00', 5, '0.01'],
    pointsCost: ['1.00', '2.50'],
    quantity: ['1', 1, 2],
    hours: ['1.50', '2', 3],
  }
  const actor = (name: string, userId: string) => ({
    name,
    userId,
    authorization: `Bearer ${t.token(userId)}`,
  })
  const actors = [
    actor('admin', w.admin),
    actor('secretaryA', w.secretaryA),
    actor('secretaryB', w.secretaryB),
    actor('panelistA', w.panelistA),
    actor('gridWorkerA', w.gridWorkerA),
    actor('clerkA', w.clerkA),
    actor('memberA', w.memberA.userId),
    actor('memberA2', memberA2.userId),
    // the last three are the callers without a valid identity (the fuzzer weighs them less)
    { name: 'anonymous' },
    { name: 'badToken', authorization: 'Bearer not.a.jwt' },
    actor('ghost', '00000000-0000-4000-8000-000000000000'),
  ]
  const named: Record<string, string> = {
    openRequest: requestId,
    dispatchedRequest: dispatched,
    acceptedRequest: accepted,
    completedRequest: completed,
    rubric: rubricId,
    draftRubric,
    claim: claimA.id,
    looseClaim: looseClaim.id,
    round: round.id,
    reward: reward.id,
    redemption,
    redemption2,
    transaction: adjustment,
    memberA: w.memberA.memberId,
    memberA2: memberA2.memberId,
    branchA: w.branchA,
    communityA: w.communityA,
    openActivity,
    certificate: certificate.id,
    certificateRequest,
    secretaryA: w.secretaryA,
    panelistA: w.panelistA,
    ...(objection[0] ? { objection: objection[0] } : {}),
  }
  const rubricItems = rubric.items.map((i: Record<string, unknown>) => ({
    code: i.code,
    name: i.name,
    kind: i.kind,
    unit: i.unit,
    pointsPerUnit: i.pointsPerUnit,
    maxPerClaim: i.maxPerClaim,
    capPerYear: i.capPerYear,
  }))
  return { world: w, ids, named, rubricItems, byName, actors }
}

async function usernames(t: TestApp, userIds: string[]): Promise<string[]> {
  const found = await rows<{ username: string }>(t.db, sql`select username from users where id in ${userIds}`)
  return found.map((r) => r.username)
}
