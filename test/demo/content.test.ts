import { beforeAll, describe, expect, it } from 'vitest'
import { loadDemoIfEmpty } from '../../src/demo/accounts'
import { loadDemoContent } from '../../src/demo/content'
import { buildTestApp, type TestApp } from '../helpers/app'

let t: TestApp

beforeAll(async () => {
  t = await buildTestApp()
  expect(await loadDemoIfEmpty(t.db)).not.toBeNull()
  await loadDemoContent(t.db, 'Asia/Shanghai')
})

async function login(username: string): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password: `${username}-pass` },
  })
  expect(res.statusCode).toBe(200)
  return res.json().accessToken
}

describe('demo content on a first embedded start', () => {
  it('lets the demo member see 30.00 points and redeem a towel at once', async () => {
    const token = await login('demo-member')
    const auth = { authorization: `Bearer ${token}` }
    const me = (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth })).json()
    const balance = await t.app.inject({
      method: 'GET',
      url: `/api/v1/members/${me.member.id}/balance`,
      headers: auth,
    })
    expect(balance.json()).toMatchObject({ balance: '30.00', available: '30.00', lifetimeEarned: '30.00' })

    const rewards = (await t.app.inject({ method: 'GET', url: '/api/v1/rewards', headers: auth })).json()
      .items
    expect(rewards.map((r: { name: string }) => r.name).sort()).toEqual(['保温杯', '毛巾', '防疫包'].sort())
    const towel = rewards.find((r: { name: string }) => r.name === '毛巾')
    expect(towel.available).toBe(50)

    const redeemed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/redemptions',
      headers: { ...auth, 'idempotency-key': 'demo-towel' },
      payload: { memberId: me.member.id, rewardId: towel.id, quantity: 1 },
    })
    expect(redeemed.statusCode).toBe(201)
    const after = await t.app.inject({
      method: 'GET',
      url: `/api/v1/members/${me.member.id}/balance`,
      headers: auth,
    })
    expect(after.json()).toMatchObject({ held: '10.00', available: '20.00' })
  })

  it('gives the demo branch an active rubric of the 20 default items for this year', async () => {
    const token = await login('demo-secretary')
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/v1/rubrics',
      headers: { authorization: `Bearer ${token}` },
    })
    const active = list.json().items.filter((r: { status: string }) => r.status === 'active')
    expect(active).toHaveLength(1)
    expect(active[0].year).toBe(
      Number(
        new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()),
      ),
    )
  })
})
