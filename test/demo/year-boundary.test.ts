import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadDemoIfEmpty } from '../../src/demo/accounts'
import { type DemoSummary, loadDemoContent } from '../../src/demo/content'
import { buildTestApp, type TestApp } from '../helpers/app'

// The demo is loaded on the first start, any day of the year: its dates follow that day, and a round never mixes two
// years' rubrics. Here the first start is on 2 March of last year (in the past, so the database's own clock is
// later, as on a real first start): the history reaches back into the year before, the round before 公示 ended
// yesterday straddles New Year (its work is kept inside the new year), and every round's rubric is its year's.
const year =
  Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date())) - 1
const firstStart = new Date(`${year}-03-02T10:00:00+08:00`)
let t: TestApp
let demo: DemoSummary

beforeAll(async () => {
  t = await buildTestApp()
  vi.useFakeTimers({ toFake: ['Date'], now: firstStart, shouldAdvanceTime: true })
  expect(await loadDemoIfEmpty(t.db)).not.toBeNull()
  demo = await loadDemoContent(t.db, 'Asia/Shanghai')
}, 60_000)

afterAll(() => {
  vi.useRealTimers()
})

async function get(username: string, url: string) {
  const login = await t.call({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password: `${username}-pass` },
  })
  const res = await t.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${login.json().accessToken}` },
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

describe('the demo loaded on 2 March', () => {
  it('dates every round inside one year, under that year’s rubric, relative to the day of the first start', async () => {
    const rubrics = (await get('demo-secretary', '/api/v1/rubrics')).items as { id: string; year: number }[]
    const yearOf = new Map(rubrics.map((r) => [r.id, r.year]))
    const rounds = (await get('demo-secretary', '/api/v1/scoring-rounds')).items as {
      id: string
      rubricId: string
      periodStart: string
      periodEnd: string
      status: string
      publicityEndsAt: string
    }[]
    const byId = new Map(rounds.map((r) => [r.id, r]))
    for (const r of rounds) {
      expect(r.periodStart.slice(0, 4)).toBe(r.periodEnd.slice(0, 4))
      expect(yearOf.get(r.rubricId)).toBe(Number(r.periodEnd.slice(0, 4)))
    }
    const finalized = byId.get(demo.finalizedRoundId)!
    expect(finalized).toMatchObject({ status: 'finalized' })
    expect(finalized.periodEnd.startsWith(String(year - 1))).toBe(true)
    // 75 and 50 days before 2 March: the December day is kept inside the new year.
    const ready = byId.get(demo.readyRoundId)!
    expect(ready).toMatchObject({ status: 'publicity', periodStart: `${year}-01-01` })
    // 公示 ended at the end of 1 March, the day before the first start.
    expect(Date.parse(ready.publicityEndsAt)).toBe(Date.parse(`${year}-03-02T00:00:00+08:00`))
    expect(byId.get(demo.publicityRoundId)!.status).toBe('publicity')
  })

  it('still lets the walk-through finalize the ready round and keeps a ledger that verifies', async () => {
    const login = await t.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'demo-secretary', password: 'demo-secretary-pass' },
    })
    const finalized = await t.app.inject({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${demo.readyRoundId}/finalize`,
      headers: { authorization: `Bearer ${login.json().accessToken}`, 'idempotency-key': 'march' },
    })
    expect(finalized.statusCode, finalized.body).toBe(200)
    expect(finalized.json()).toMatchObject({ posted: 5 })
    const me = await get('demo-member', '/api/v1/me')
    expect(await get('demo-member', `/api/v1/members/${me.member.id}/balance`)).toMatchObject({
      balance: '32.25',
    })
    const county = (await get('demo-admin', '/api/v1/org-units?limit=200')).items.find(
      (u: { name: string }) => u.name === '示范县',
    )
    expect(await get('demo-admin', `/api/v1/ledger/verify?orgUnitId=${county.id}`)).toMatchObject({
      ok: true,
      problemCount: 0,
    })
  })
})
