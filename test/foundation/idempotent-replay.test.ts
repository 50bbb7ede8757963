import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { idempotent, requestHash, storeRefusal } from '../../src/plugins/idempotency'
import type { Caller } from '../../src/shared/authz'
import { DomainError } from '../../src/shared/errors'
import { verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, uniq, type World } from '../helpers/factories'
import { givePoints, idemKey, stockedReward } from '../helpers/rewards'
import { activeRubric, claim, endPublicity, openRound, panel, scoreOk, today } from '../helpers/scoring'

// Every operation that takes an Idempotency-Key answers a replay (same key, same body) with the first answer and
// the header Idempotent-Replayed: true, whichever strategy it uses (src/plugins/idempotency.ts: the transaction
// wrapper, or the precomputed statement of createRedemption), a stored refusal included. The operations are
// found in the served OpenAPI document, so a new idempotent route without a case here fails the first test.

type Call = InjectOptions & { as: string }

let t: TestApp
let w: World
let idempotentOperations: string[]

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  const doc = t.app.swagger() as {
    paths: Record<
      string,
      Record<string, { operationId?: string; parameters?: { in: string; name: string }[] }>
    >
  }
  idempotentOperations = Object.values(doc.paths)
    .flatMap((ops) => Object.values(ops))
    .filter((op) => op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'))
    .map((op) => op.operationId!)
    .sort()
})

afterAll(async () => {
  await t.app.close()
})

const post = (as: string, url: string, payload?: Record<string, unknown>): Call => ({
  method: 'POST',
  url: `/api/v1${url}`,
  as,
  ...(payload ? { payload } : {}),
})

/** A closed round of branch A with one scored claim, its publicity still running. */
let rubric: Promise<string> | undefined
async function closedRound(): Promise<string> {
  // One active rubric per unit and year: made once; each round takes the claims in no other round.
  rubric ??= activeRubric(t, w)
  const rubricId = await rubric
  const panelUserIds = await panel(t.db, w)
  const m = await createMemberUser(t.db, w.branchA)
  const c = await claim(t, m.userId, { memberId: m.memberId, rubricId, itemCode: 'STUDY', quantity: 2 })
  const round = await openRound(t, w, { rubricId, panelUserIds, publicityDays: 5 })
  // The round takes in every submitted claim of the branch (other cases file some): all are scored.
  for (const taken of round.claims) {
    for (const u of panelUserIds)
      await scoreOk(t, u, round.id, taken.claimId, taken.claimId === c.id ? '2.00' : '1.00')
  }
  const closed = await t.call(post(w.secretaryA, `/scoring-rounds/${round.id}/close`))
  expect(closed.statusCode, closed.body).toBe(200)
  return round.id
}

async function adjustment(): Promise<string> {
  const m = await createMemberUser(t.db, w.branchA)
  const res = await t.call({
    ...post(w.secretaryA, '/ledger/adjustments', { memberId: m.memberId, amount: '2.00', reason: 'setup' }),
    headers: { 'idempotency-key': idemKey() },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

/** Per operation, a request that succeeds (made on fresh data, so each case stands alone). */
const SUCCEEDS: Record<string, () => Promise<Call>> = {
  createAdjustment: async () => {
    const m = await createMemberUser(t.db, w.branchA)
    return post(w.secretaryA, '/ledger/adjustments', { memberId: m.memberId, amount: '1.50', reason: '补录' })
  },
  reverseTransaction: async () =>
    post(w.secretaryA, `/ledger/transactions/${await adjustment()}/reverse`, { reason: '录错' }),
  receiveStock: async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA)
    return post(w.clerkA, `/rewards/${id}/stock`, { quantity: 3, note: '街道配发' })
  },
  writeOffStock: async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA, { stock: 3 })
    return post(w.clerkA, `/rewards/${id}/write-offs`, { quantity: 1, reason: '破损' })
  },
  createRedemption: async () => {
    const m = await createMemberUser(t.db, w.communityA)
    await givePoints(t.db, m.memberId, 100_000)
    const { id } = await stockedReward(t, w.clerkA, w.communityA, { stock: 3 })
    return post(w.clerkA, '/redemptions', { memberId: m.memberId, rewardId: id, quantity: 1 })
  },
  issueServiceCertificate: async () =>
    post(w.secretaryA, `/members/${w.memberA.memberId}/service-certificates`, {
      from: '2026-01-01',
      to: '2026-12-31',
    }),
  requestServiceCertificate: async () => {
    const m = await createMemberUser(t.db, w.branchA)
    return post(m.userId, '/service-certificate-requests', {
      from: '2026-01-01',
      to: '2026-12-31',
      orgUnitId: w.branchA,
    })
  },
  declineServiceCertificateRequest: async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const asked = await t.call({
      ...post(m.userId, '/service-certificate-requests', {
        from: '2026-01-01',
        to: '2026-12-31',
        orgUnitId: w.branchA,
      }),
      headers: { 'idempotency-key': idemKey() },
    })
    expect(asked.statusCode, asked.body).toBe(201)
    return post(w.secretaryA, `/service-certificate-requests/${asked.json().id}/decline`, {
      reason: '无记录',
    })
  },
  revokeServiceCertificate: async () => {
    const issued = await t.call({
      ...post(w.secretaryA, `/members/${w.memberA.memberId}/service-certificates`, {
        from: '2026-01-01',
        to: '2026-12-31',
      }),
      headers: { 'idempotency-key': idemKey() },
    })
    expect(issued.statusCode, issued.body).toBe(201)
    return post(w.secretaryA, `/service-certificates/${issued.json().id}/revoke`, { reason: '录入有误' })
  },
  correctServiceHours: async () => {
    const id = await verifiedActivity(t, w.secretaryA, w.branchA, [[w.memberA.memberId, '2.00']])
    return post(w.secretaryA, `/activities/${id}/participants/${w.memberA.memberId}/corrections`, {
      hours: '1.50',
      reason: '提前离开',
    })
  },
  createClaimsBatch: async () => {
    rubric ??= activeRubric(t, w)
    const members = [await createMemberUser(t.db, w.branchA), await createMemberUser(t.db, w.branchA)]
    return post(w.secretaryA, '/claims/batch', {
      memberIds: members.map((m) => m.memberId),
      rubricId: await rubric,
      itemCode: 'MEETING',
      quantity: 1,
      occurredOn: today(),
      description: '主题党日',
    })
  },
  finalizeRound: async () => {
    const roundId = await closedRound()
    await endPublicity(t.db, roundId)
    return post(w.secretaryA, `/scoring-rounds/${roundId}/finalize`)
  },
}

/** Sends `call` twice with one key: the first answer and its replay. */
async function twice(call: Call) {
  const headers = { 'idempotency-key': uniq('replay') }
  const first = await t.call({ ...call, headers })
  const again = await t.call({ ...call, headers })
  return { first, again }
}

describe('Idempotent-Replayed', () => {
  it('the cases below cover every operation that takes an Idempotency-Key, and docs/api.md lists them all', () => {
    expect(idempotentOperations.length).toBeGreaterThanOrEqual(7)
    expect(Object.keys(SUCCEEDS).sort()).toEqual(idempotentOperations)
    const api = readFileSync(join(__dirname, '../../docs/api.md'), 'utf8')
    const sentence = /need an `Idempotency-Key` header[^:]*:([^.]*)\./.exec(api)?.[1] ?? ''
    const listed = [...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort()
    expect(listed).toEqual(idempotentOperations)
  })

  it.each(Object.keys(SUCCEEDS))(
    '%s: a replay answers the first answer with Idempotent-Replayed: true',
    async (op) => {
      const { first, again } = await twice(await SUCCEEDS[op]!())
      expect(first.statusCode, first.body).toBeLessThan(300)
      expect(first.headers['idempotent-replayed']).toBeUndefined()
      expect(again.statusCode).toBe(first.statusCode)
      expect(again.headers['idempotent-replayed']).toBe('true')
      expect(again.body).toBe(first.body)
    },
  )

  // A refusal is stored under the key and replayed as the same refusal: a replay too.
  const REFUSED: Record<string, [strategy: string, make: () => Promise<Call>, status: number, code: string]> =
    {
      writeOffStock: [
        'transaction wrapper',
        async () => {
          const { id } = await stockedReward(t, w.clerkA, w.communityA, { stock: 1 })
          return post(w.clerkA, `/rewards/${id}/write-offs`, { quantity: 2, reason: '破损' })
        },
        422,
        'out_of_stock',
      ],
      createRedemption: [
        'precomputed statement',
        async () => {
          const m = await createMemberUser(t.db, w.communityA)
          const { id } = await stockedReward(t, w.clerkA, w.communityA, { stock: 1 })
          return post(w.clerkA, '/redemptions', { memberId: m.memberId, rewardId: id, quantity: 1 })
        },
        422,
        'insufficient_points',
      ],
      finalizeRound: [
        'transaction wrapper',
        async () => post(w.secretaryA, `/scoring-rounds/${await closedRound()}/finalize`),
        409,
        'invalid_state',
      ],
    }

  it.each(
    Object.entries(REFUSED).map(([op, [strategy, make, status, code]]) => ({
      op,
      strategy,
      make,
      status,
      code,
    })),
  )(
    '$op ($strategy): a replayed refusal is the same refusal, with Idempotent-Replayed: true',
    async ({ make, status, code }) => {
      const { first, again } = await twice(await make())
      expect(first.statusCode, first.body).toBe(status)
      expect(first.json().code).toBe(code)
      expect(first.headers['idempotent-replayed']).toBeUndefined()
      expect(again.statusCode).toBe(status)
      expect(again.json()).toEqual(first.json())
      expect(again.headers['idempotent-replayed']).toBe('true')
    },
  )
})

describe('one key, two strategies (src/plugins/idempotency.ts)', () => {
  const caller = (): Caller => ({
    userId: w.admin,
    username: 'admin',
    memberId: null,
    residentId: null,
    grants: [],
  })
  const refusal = () => new DomainError('insufficient_points', 'short', { needed: '1.00' })

  it("a refusal stored by the precomputed statement's path replays through the transaction wrapper", async () => {
    const key = uniq('k')
    const request = { x: 1 }
    await expect(
      storeRefusal(t.db, caller(), key, 'op', requestHash('op', request), refusal()),
    ).rejects.toMatchObject({ code: 'insufficient_points' })
    let ran = 0
    const again = idempotent(t.db, caller(), key, 'op', request, async () => {
      ran++
      return { status: 201, body: {} }
    })
    await expect(again).rejects.toEqual(refusal())
    expect(ran).toBe(0)
  })

  it('a refusal meeting a key claimed by the wrapper waits for it and answers its answer, never overwriting it', async () => {
    const key = uniq('k')
    const request = { x: 2 }
    let release = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    const wrapped = idempotent(t.db, caller(), key, 'op', request, async () => {
      await held
      return { status: 201, body: { done: true } }
    })
    await new Promise((r) => setTimeout(r, 50)) // the wrapper holds the key (status 0, not committed)
    const refused = storeRefusal(t.db, caller(), key, 'op', requestHash('op', request), refusal())
    await new Promise((r) => setTimeout(r, 50))
    release()
    expect(await wrapped).toEqual({ status: 201, body: { done: true }, replayed: false })
    expect(await refused).toEqual({ status: 201, body: { done: true }, replayed: true })
    // And the key keeps the wrapper's answer.
    const replay = await idempotent(t.db, caller(), key, 'op', request, async () => ({
      status: 500,
      body: {},
    }))
    expect(replay).toEqual({ status: 201, body: { done: true }, replayed: true })
  })

  it('the same key with another request is 409 idempotency_key_reused on either path', async () => {
    const key = uniq('k')
    await idempotent(t.db, caller(), key, 'op', { x: 3 }, async () => ({ status: 201, body: {} }))
    await expect(
      storeRefusal(t.db, caller(), key, 'op', requestHash('op', { x: 4 }), refusal()),
    ).rejects.toMatchObject({ code: 'idempotency_key_reused' })
  })
})
