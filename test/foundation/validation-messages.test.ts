import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, uniq, type World } from '../helpers/factories'

/**
 * A refused request says what is wrong in words a branch secretary understands: one message per field, no
 * regular expression, no "must match a schema in anyOf", and a body that is missing says what it should hold.
 * Each case pins the whole answer a client sees (detail and errors), so a change of wording fails here.
 */

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const adjust = (payload: unknown, headers: Record<string, string> = {}) =>
  t.call({
    method: 'POST',
    url: '/api/v1/ledger/adjustments',
    as: w.secretaryA,
    headers: { 'idempotency-key': uniq('key'), ...headers },
    ...(payload === undefined ? {} : { payload: payload as string }),
  })

/** The 400 answer: its detail and its errors, exactly. */
async function refusal(res: Awaited<ReturnType<TestApp['call']>>) {
  expect(res.statusCode, res.body).toBe(400)
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/)
  const body = res.json()
  expect(body.code).toBe('validation_failed')
  return { detail: body.detail, errors: body.errors }
}

const WITH = 'memberId, amount, reason'

describe('a body that is missing or not an object', () => {
  it('an empty JSON body names the fields the request needs', async () => {
    const message = `the request needs a JSON body with: ${WITH}`
    expect(await refusal(await adjust('', { 'content-type': 'application/json' }))).toEqual({
      detail: message,
      errors: [{ field: 'body', message }],
    })
  })

  it('no body at all says the same', async () => {
    const message = `the request needs a JSON body with: ${WITH}`
    expect(await refusal(await adjust(undefined))).toEqual({
      detail: message,
      errors: [{ field: 'body', message }],
    })
  })

  it('a list instead of an object', async () => {
    const message = `the body must be a JSON object with: ${WITH}`
    expect(await refusal(await adjust([1, 2]))).toEqual({
      detail: message,
      errors: [{ field: 'body', message }],
    })
  })
})

describe('one plain message per field', () => {
  it('a three-decimal amount as a string: one message, not a pattern and the union’s branches', async () => {
    const res = await t.call({
      method: 'PUT',
      url: `/api/v1/activities/${randomUUID()}/participants/${randomUUID()}`,
      as: w.secretaryA,
      payload: { hours: '3.505' },
    })
    expect(await refusal(res)).toEqual({
      detail: 'hours: at most two decimal places, e.g. "3.50"',
      errors: [{ field: 'hours', message: 'at most two decimal places, e.g. "3.50"' }],
    })
  })

  it('a three-decimal amount as a JSON number says the same', async () => {
    const res = await adjust({ memberId: w.memberA.memberId, amount: 1.234, reason: '补记 11 月楼道清扫' })
    expect(await refusal(res)).toEqual({
      detail: 'amount: at most two decimal places, e.g. "3.50"',
      errors: [{ field: 'amount', message: 'at most two decimal places, e.g. "3.50"' }],
    })
  })

  it('an amount that is no number at all', async () => {
    const res = await adjust({ memberId: w.memberA.memberId, amount: 'twelve', reason: '补记' })
    expect(await refusal(res)).toEqual({
      detail: 'amount must be a number with at most two decimal places, e.g. "3.50"',
      errors: [{ field: 'amount', message: 'must be a number with at most two decimal places, e.g. "3.50"' }],
    })
  })

  it('a missing field', async () => {
    const res = await adjust({ memberId: w.memberA.memberId, amount: '2.00' })
    expect(await refusal(res)).toEqual({
      detail: 'reason is required',
      errors: [{ field: 'reason', message: 'is required' }],
    })
  })

  it('an unknown field', async () => {
    const res = await adjust({ memberId: w.memberA.memberId, amount: '2.00', reason: '补记', balance: 5 })
    expect(await refusal(res)).toEqual({
      detail: 'balance is not a field of this request',
      errors: [{ field: 'balance', message: 'is not a field of this request' }],
    })
  })

  it('several mistakes: each field once, all of them in the detail', async () => {
    const res = await adjust({ memberId: 'zhang', amount: '1.005', reason: '' })
    expect(await refusal(res)).toEqual({
      detail:
        'memberId must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e; ' +
        'amount: at most two decimal places, e.g. "3.50"; reason must not be empty',
      errors: [
        { field: 'memberId', message: 'must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e' },
        { field: 'amount', message: 'at most two decimal places, e.g. "3.50"' },
        { field: 'reason', message: 'must not be empty' },
      ],
    })
  })

  it('a wrong type', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/members',
      as: w.secretaryA,
      payload: { orgUnitId: w.branchA, name: '张建国', isPartyMember: 'yes' },
    })
    expect(await refusal(res)).toEqual({
      detail: 'isPartyMember must be true or false',
      errors: [{ field: 'isPartyMember', message: 'must be true or false' }],
    })
  })

  it('a value outside a list, in a body and in a query', async () => {
    const role = await t.call({
      method: 'POST',
      url: `/api/v1/users/${w.secretaryA}/roles`,
      as: w.admin,
      payload: { role: 'boss', orgUnitId: w.branchA },
    })
    expect((await refusal(role)).errors).toEqual([
      { field: 'role', message: 'must be one of: admin, secretary, panelist, grid_worker, clerk, member' },
    ])
    const status = await t.call({ method: 'GET', url: '/api/v1/activities?status=closed', as: w.secretaryA })
    expect(await refusal(status)).toEqual({
      detail: 'status must be one of: open, verified',
      errors: [{ field: 'status', message: 'must be one of: open, verified' }],
    })
  })

  it('a nullable number below its minimum, and blank text', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/rewards',
      as: w.clerkA,
      payload: { orgUnitId: w.communityA, name: '   ', pointsCost: '12.50', perMemberLimit: 0 },
    })
    expect(await refusal(res)).toEqual({
      detail: 'name must not be blank; perMemberLimit must be at least 1',
      errors: [
        { field: 'name', message: 'must not be blank' },
        { field: 'perMemberLimit', message: 'must be at least 1' },
      ],
    })
  })

  it('a path id that is no UUID', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/members/zhangjianguo', as: w.secretaryA })
    expect(await refusal(res)).toEqual({
      detail: 'id must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e',
      errors: [{ field: 'id', message: 'must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e' }],
    })
  })

  it('a date that is not a calendar day keeps its range in the message', async () => {
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/members/${w.memberA.memberId}/ledger?from=2026-02-30`,
      as: w.secretaryA,
    })
    expect(await refusal(res)).toEqual({
      detail: 'from must be a real calendar date YYYY-MM-DD from 2000-01-01 to 2100-12-31',
      errors: [
        { field: 'from', message: 'must be a real calendar date YYYY-MM-DD from 2000-01-01 to 2100-12-31' },
      ],
    })
  })
})
