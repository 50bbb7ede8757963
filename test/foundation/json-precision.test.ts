import { beforeAll, describe, expect, it } from 'vitest'
import { findInexactNumber, isExactNumber } from '../../src/shared/json-body'
import { createPastActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'
import { countTransactions } from '../helpers/ledger'

/**
 * Pen test issue 15 (low): a JSON number is read as a double, so 1.0000000000000000001 was taken as an amount
 * of 1.00 although the contract refuses more than two fraction digits. A number literal a double cannot hold
 * exactly is now 400 validation_failed naming the field and saying to send it as a string.
 */

describe('isExactNumber', () => {
  it.each([
    '0',
    '-0',
    '1',
    '12.5',
    '12.50',
    '0.1',
    '-123.45',
    '1e2',
    '1E2',
    '1.25e1',
    '1.5e-7',
    '-2.5E+3',
    '9007199254740992',
    '1e21',
    '123456789012345',
    '0.000000000000001',
  ])('%s is exact', (n) => expect(isExactNumber(n)).toBe(true))

  it.each([
    '1.0000000000000000001',
    '-1.0000000000000000001',
    '0.30000000000000001',
    '9007199254740993',
    '123456789012345678',
    '1e400',
    '-1e400',
    '1e-400',
    '1.00000000000000000001e5',
    '10000000000000000.5',
  ])('%s is not', (n) => expect(isExactNumber(n)).toBe(false))
})

describe('findInexactNumber', () => {
  const BAD = '1.0000000000000000001'
  it('finds a number and names its path', () => {
    expect(findInexactNumber(`{"a":${BAD}}`)).toEqual({ literal: BAD, path: 'a' })
    expect(findInexactNumber(`-${BAD}`)).toEqual({ literal: `-${BAD}`, path: '' })
    expect(findInexactNumber(`[1, 2, [3, ${BAD}]]`)).toEqual({ literal: BAD, path: '2.1' })
    expect(findInexactNumber(`{"a":{"b":[{"c":1},{"d": 2.5, "e" : ${BAD}}]},"f":1}`)).toEqual({
      literal: BAD,
      path: 'a.b.1.e',
    })
    expect(findInexactNumber(`{"a\\"b": ${BAD}}`)).toEqual({ literal: BAD, path: 'a"b' })
    expect(findInexactNumber(`{"amount":1e400}`)).toEqual({ literal: '1e400', path: 'amount' })
  })

  it('skips strings, whatever digits or escapes they hold', () => {
    expect(findInexactNumber(`{"a":"${BAD}"}`)).toBeUndefined()
    expect(findInexactNumber(`{"a":"x\\"${BAD}"}`)).toBeUndefined()
    expect(findInexactNumber(`{"${BAD}":1}`)).toBeUndefined()
    expect(findInexactNumber(`{"a":"x\\\\","b":${BAD}}`)).toEqual({ literal: BAD, path: 'b' })
    expect(
      findInexactNumber(`{"a":"\\u0031.0000000000000000001","b":[true,false,null,1.5e3]}`),
    ).toBeUndefined()
  })

  it('reads a megabyte in one quick pass', () => {
    const body = JSON.stringify(
      Array.from({ length: 20_000 }, (_, i) => ({ id: `item-${i}`, amount: i / 4, note: 'x'.repeat(20) })),
    )
    expect(body.length).toBeGreaterThan(1_000_000)
    const started = performance.now()
    expect(findInexactNumber(body)).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(500)
  })
})

describe('JSON bodies with numbers a double cannot hold', () => {
  let t: TestApp
  let w: World
  let activityId: string
  beforeAll(async () => {
    t = await buildTestApp()
    w = await createWorld(t.db)
    activityId = await createPastActivity(t, w.secretaryA, w.branchA)
  })

  const adjust = (body: string) =>
    t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': crypto.randomUUID(), 'content-type': 'application/json' },
      payload: body,
    })
  const transactions = () => countTransactions(t.db, w.memberA.memberId)

  it('createAdjustment: 1.0000000000000000001 is 400 naming amount, and nothing is posted', async () => {
    const before = await transactions()
    const res = await adjust(
      `{"memberId":"${w.memberA.memberId}","amount":1.0000000000000000001,"reason":"volunteer drive"}`,
    )
    expect(res.statusCode, res.body).toBe(400)
    const body = res.json()
    expect(body.code).toBe('validation_failed')
    expect(body.errors).toEqual([
      { field: 'amount', message: expect.stringMatching(/1\.0000000000000000001.*send it as a string/) },
    ])
    expect(await transactions()).toBe(before)
  })

  it('createAdjustment: exact numbers, exponents included, still post', async () => {
    for (const amount of ['12.5', '1.25e1', '-2', '3.10']) {
      const res = await adjust(
        `{"memberId":"${w.memberA.memberId}","amount":${amount},"reason":"digits 1.0000000000000000001 in text"}`,
      )
      expect(res.statusCode, `${amount}: ${res.body}`).toBe(201)
    }
  })

  it('createAdjustment: a huge or tiny exponent is 400, not Infinity or 0', async () => {
    for (const amount of ['1e400', '1e-400', '-1e400']) {
      const res = await adjust(`{"memberId":"${w.memberA.memberId}","amount":${amount},"reason":"x"}`)
      expect(res.statusCode, `${amount}: ${res.body}`).toBe(400)
      expect(res.json().errors[0].field).toBe('amount')
    }
  })

  it('recordParticipation: hours 2.0000000000000000001 is 400 naming hours', async () => {
    const res = await t.call({
      method: 'PUT',
      url: `/api/v1/activities/${activityId}/participants/${w.memberA.memberId}`,
      as: w.secretaryA,
      headers: { 'content-type': 'application/json' },
      payload: '{"hours": 2.0000000000000000001}',
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors[0]).toEqual({ field: 'hours', message: expect.stringMatching(/as a string/) })
    const ok = await t.call({
      method: 'PUT',
      url: `/api/v1/activities/${activityId}/participants/${w.memberA.memberId}`,
      as: w.secretaryA,
      headers: { 'content-type': 'application/json' },
      payload: '{"hours": 2.5}',
    })
    expect(ok.statusCode, ok.body).toBeLessThan(300)
  })

  it('a nested number names its path; a big integer is refused too', async () => {
    const nested = await t.call({
      method: 'PATCH',
      url: `/api/v1/org-units/${w.branchA}`,
      as: w.admin,
      headers: { 'content-type': 'application/json' },
      payload: '{"settings":{"redemptionThreshold":10.000000000000000001}}',
    })
    expect(nested.statusCode, nested.body).toBe(400)
    expect(nested.json().errors[0].field).toBe('settings.redemptionThreshold')

    const reward = await t.call({
      method: 'POST',
      url: '/api/v1/rewards',
      as: w.clerkA,
      headers: { 'content-type': 'application/json' },
      payload: `{"orgUnitId":"${w.communityA}","name":"毛巾","pointsCost":"10.00","perMemberLimit":9007199254740993}`,
    })
    expect(reward.statusCode, reward.body).toBe(400)
    expect(reward.json().errors[0].field).toBe('perMemberLimit')
  })

  it('Fastify’s JSON protections stay: prototype poisoning, bad JSON and an empty body are 400', async () => {
    const poisoned = await adjust(
      `{"memberId":"${w.memberA.memberId}","amount":1,"reason":"x","__proto__":{"admin":true}}`,
    )
    expect(poisoned.statusCode).toBe(400)
    expect(poisoned.json().code).toBe('validation_failed')
    const broken = await adjust('{"amount": 1.0000000000000000001')
    expect(broken.statusCode).toBe(400)
    expect(broken.json().detail).toBe('body is not valid JSON')
    const empty = await adjust('')
    expect(empty.statusCode).toBe(400)
    expect(empty.json().code).toBe('validation_failed')
  })
})
