import { beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'

// A member reads their own year-end outcome once the branch has published the year's list (issue 19: members could
// not read the published appraisal list at all).

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const put = (memberId: string, year: number, payload: Record<string, string>) =>
  t.call({ method: 'PUT', url: `/api/v1/members/${memberId}/appraisals/${year}`, as: w.secretaryA, payload })
const publish = (orgUnitId: string, year: number, as = w.secretaryA) =>
  t.call({ method: 'POST', url: '/api/v1/appraisals/publish', as, payload: { orgUnitId, year } })
const mine = (as: string, query = '') => t.call({ method: 'GET', url: `/api/v1/me/appraisals${query}`, as })

describe('GET /api/v1/me/appraisals', () => {
  it('shows a year only once it is published, then its changes with their reason', async () => {
    await award(t.db, w.memberA.memberId, 4_500)
    expect((await put(w.memberA.memberId, 2024, { outcome: '合格' })).statusCode).toBe(200)
    expect(
      (await put(w.memberA.memberId, 2025, { outcome: '基本合格', note: '参加活动偏少' })).statusCode,
    ).toBe(200)
    // Recorded, not published: the branch's deliberation, not shown.
    const before = await mine(w.memberA.userId)
    expect(before.statusCode, before.body).toBe(200)
    expect(before.json()).toEqual({ items: [], nextCursor: null })

    expect((await publish(w.branchA, 2025)).statusCode).toBe(201)
    const published = (await mine(w.memberA.userId)).json()
    expect(published.items).toHaveLength(1)
    expect(published.items[0]).toMatchObject({
      memberId: w.memberA.memberId,
      year: 2025,
      outcome: '基本合格',
      note: '参加活动偏少',
      published: true,
      history: [],
    })
    expect(published.items[0].recordedAt).toMatch(/\+08:00$/)

    // Changed after publication, with a reason: the member sees the new outcome and the old one in history.
    const changed = await put(w.memberA.memberId, 2025, { outcome: '合格', reason: '复核后补计冬季助老服务' })
    expect(changed.statusCode, changed.body).toBe(200)
    expect((await publish(w.communityA, 2024, w.admin)).statusCode).toBe(201)
    const after = await mine(w.memberA.userId, '?limit=1')
    expect(after.json().items[0]).toMatchObject({
      year: 2025,
      outcome: '合格',
      reason: '复核后补计冬季助老服务',
      history: [expect.objectContaining({ outcome: '基本合格' })],
    })
    // A publication above the branch publishes it too; pages go by year, newest first.
    const next = await mine(w.memberA.userId, `?limit=1&cursor=${after.json().nextCursor}`)
    expect(next.json().items.map((a: { year: number; outcome: string }) => [a.year, a.outcome])).toEqual([
      [2024, '合格'],
    ])
    expect(next.json().nextCursor).toBeNull()
  })

  it('shows a member only their own; staff without a member record 403', async () => {
    expect((await mine(w.memberB.userId)).json().items).toEqual([])
    expect((await mine(w.secretaryA)).statusCode).toBe(403)
    expect((await mine(w.memberA.userId, '?cursor=bogus')).statusCode).toBe(400)
  })
})
