import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { loadDemoIfEmpty } from '../../src/demo/accounts'
import { type DemoSummary, loadDemoContent } from '../../src/demo/content'
import { buildTestApp, type TestApp } from '../helpers/app'

// One first embedded start: the demo organisation, then its year of history, on this file's empty database.
let t: TestApp
let demo: DemoSummary
let loadMs: number

beforeAll(async () => {
  t = await buildTestApp()
  expect(await loadDemoIfEmpty(t.db)).not.toBeNull()
  const started = Date.now()
  demo = await loadDemoContent(t.db, 'Asia/Shanghai')
  loadMs = Date.now() - started
}, 60_000)

const tokens = new Map<string, string>()
async function login(username: string): Promise<string> {
  if (!tokens.has(username)) {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: `${username}-pass` },
    })
    expect(res.statusCode).toBe(200)
    tokens.set(username, res.json().accessToken)
  }
  return tokens.get(username)!
}

async function get(username: string, url: string) {
  const res = await t.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${await login(username)}` },
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
const thisYear = () => Number(today().slice(0, 4))

describe('the demo year on a first embedded start', () => {
  it('loads in a few seconds', () => {
    // PGlite (npm start) takes about as long as PostgreSQL here; the budget leaves room for a busy machine.
    expect(loadMs).toBeLessThan(20_000)
  })

  it('keeps a ledger whose sums, balances and hash chains verify', async () => {
    const county = (await get('demo-admin', '/api/v1/org-units?limit=200')).items.find(
      (u: { name: string }) => u.name === '示范县',
    )
    const check = await get('demo-admin', `/api/v1/ledger/verify?orgUnitId=${county.id}`)
    expect(check).toMatchObject({ ok: true, problemCount: 0 })
    expect(check.checkedTransactions).toBeGreaterThan(15)
  })

  it('holds verified activities over the past months, the rubric of each year they fall in, and one open', async () => {
    const all = (await get('demo-secretary', '/api/v1/activities?limit=200')).items as {
      startsAt: string
      status: string
    }[]
    const verified = all.filter((a) => a.status === 'verified')
    expect(verified.length).toBe(8)
    expect(all.filter((a) => a.status === 'open')).toHaveLength(1)
    const oldest = Math.min(...verified.map((a) => Date.parse(a.startsAt)))
    expect(Date.now() - oldest).toBeGreaterThan(200 * 86_400_000)

    const rubrics = (await get('demo-secretary', '/api/v1/rubrics')).items as {
      status: string
      year: number
    }[]
    const active = rubrics.filter((r) => r.status === 'active').map((r) => r.year)
    expect(active.sort()).toEqual([thisYear() - 1, thisYear()])
  })

  it('has a finalized round, one on notice with an open objection, and one whose 公示 ended yesterday', async () => {
    const rounds = (await get('demo-secretary', '/api/v1/scoring-rounds')).items as {
      id: string
      status: string
      publicityEndsAt: string
    }[]
    const byId = new Map(rounds.map((r) => [r.id, r]))
    expect(rounds).toHaveLength(3)
    expect(byId.get(demo.finalizedRoundId)?.status).toBe('finalized')

    const notice = byId.get(demo.publicityRoundId)!
    expect(notice.status).toBe('publicity')
    expect(Date.parse(notice.publicityEndsAt)).toBeGreaterThan(Date.now() + 2 * 86_400_000)
    const open = await get('demo-secretary', `/api/v1/objections?roundId=${notice.id}&status=open`)
    expect(open.items).toHaveLength(1)

    const ready = byId.get(demo.readyRoundId)!
    expect(ready.status).toBe('publicity')
    // Ended at the end of yesterday, that is at today's local midnight.
    expect(Date.parse(ready.publicityEndsAt)).toBe(Date.parse(`${today()}T00:00:00+08:00`))
    const none = await get('demo-secretary', `/api/v1/objections?roundId=${ready.id}&status=open`)
    expect(none.items).toHaveLength(0)

    const waiting = await get('demo-secretary', '/api/v1/claims?status=submitted&limit=200')
    // Last week's activity (two participants) and the confirmed service request's ORDER claim.
    expect(waiting.items).toHaveLength(3)
  })

  it('has service requests in every state and redemptions both fulfilled and reserved', async () => {
    const requests = (await get('demo-grid', '/api/v1/service-requests?limit=200')).items as {
      status: string
    }[]
    expect(new Set(requests.map((r) => r.status))).toEqual(
      new Set(['open', 'dispatched', 'accepted', 'completed', 'confirmed', 'cancelled']),
    )
    const redemptions = (await get('demo-clerk', '/api/v1/redemptions?limit=200')).items as {
      status: string
    }[]
    expect(redemptions.map((r) => r.status).sort()).toEqual(['fulfilled', 'fulfilled', 'reserved'])
  })

  it('has a certificate signed with the secretary’s name, open to anyone by its code', async () => {
    const me = await get('demo-member', '/api/v1/me')
    const certificates = await get('demo-member', `/api/v1/members/${me.member.id}/service-certificates`)
    expect(certificates.items).toHaveLength(1)
    expect(certificates.items[0]).toMatchObject({
      memberName: '张伟',
      issuedByName: '王芳',
      verificationCode: demo.certificateCode,
    })
    expect(Number(certificates.items[0].totalHours)).toBeGreaterThan(10)
    const page = await t.app.inject({ method: 'GET', url: `/service-certificates/${demo.certificateCode}` })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('张伟')
  })

  it('lets the README walk-through run as written: finalize the ready round, then redeem and hand out', async () => {
    const member = await login('demo-member')
    const me = await get('demo-member', '/api/v1/me')
    const before = await get('demo-member', `/api/v1/members/${me.member.id}/balance`)
    // 30.00 brought forward + 6.75 from the finalized round - 10.00 for a towel handed out.
    expect(before).toMatchObject({ balance: '26.75', held: '0.00', available: '26.75' })

    const finalized = await t.app.inject({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${demo.readyRoundId}/finalize`,
      headers: {
        authorization: `Bearer ${await login('demo-secretary')}`,
        'idempotency-key': 'try-finalize',
      },
    })
    expect(finalized.statusCode, finalized.body).toBe(200)
    expect(finalized.json()).toMatchObject({ posted: 5 })
    const after = await get('demo-member', `/api/v1/members/${me.member.id}/balance`)
    expect(after).toMatchObject({ balance: '32.25', available: '32.25' })

    const cup = (await get('demo-member', '/api/v1/rewards')).items.find(
      (r: { name: string }) => r.name === '保温杯',
    )
    const reserved = await t.app.inject({
      method: 'POST',
      url: '/api/v1/redemptions',
      headers: { authorization: `Bearer ${member}`, 'idempotency-key': 'try-cup' },
      payload: { memberId: me.member.id, rewardId: cup.id },
    })
    expect(reserved.statusCode, reserved.body).toBe(201)
    const handedOut = await t.app.inject({
      method: 'POST',
      url: `/api/v1/redemptions/${reserved.json().id}/fulfil`,
      headers: { authorization: `Bearer ${await login('demo-clerk')}` },
    })
    expect(handedOut.statusCode, handedOut.body).toBe(200)
    expect(await get('demo-member', `/api/v1/members/${me.member.id}/balance`)).toMatchObject({
      balance: '12.25',
      held: '0.00',
    })
  })

  it('leaves nothing that the database would refuse: every posted claim names its ledger transaction', async () => {
    const posted = await rows<{ missing: string }>(
      t.db,
      sql`select count(*) filter (where ledger_transaction_id is null and awarded <> 0) as missing
          from claims where status = 'posted'`,
    )
    expect(posted[0]!.missing).toBe('0')
  })
})
