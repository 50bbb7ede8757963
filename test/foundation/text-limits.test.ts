import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'

// Free text is checked against the limits the OpenAPI document states: a length, and no control
// characters other than tab and line breaks (PostgreSQL text cannot even hold NUL: it used to be a 500).
let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})
afterAll(async () => {
  await t.app.close()
})

const createTeam = (name: string, description?: string) =>
  t.call({
    method: 'POST',
    url: '/api/v1/teams',
    as: w.secretaryA,
    payload: { orgUnitId: w.branchA, name, ...(description === undefined ? {} : { description }) },
  })

describe('free text limits', () => {
  it.each([
    ['NUL', 'team\u0000name'],
    ['escape', 'team\u001b[31mname'],
    ['DEL', 'team\u007fname'],
  ])(
    'refuses a name with a control character (%s) as 400 validation_failed naming the field',
    async (_, name) => {
      const res = await createTeam(name)
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('validation_failed')
      expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]))
    },
  )

  it('keeps line breaks and tabs in longer text, and any script', async () => {
    const res = await createTeam('志愿服务队 😀', 'first line\n\tsecond line\r\nthird')
    expect(res.statusCode).toBe(201)
    expect(res.json().description).toBe('first line\n\tsecond line\r\nthird')
  })

  it('refuses text over its limit and answers a query with NUL as 400, not 500', async () => {
    expect((await createTeam('x'.repeat(201))).statusCode).toBe(400)
    const q = await t.call({ method: 'GET', url: '/api/v1/members?q=a%00b', as: w.secretaryA })
    expect(q.statusCode).toBe(400)
    expect(q.json().code).toBe('validation_failed')
    const code = await t.app.inject({ method: 'GET', url: '/api/v1/service-certificates/ABC%00DEF' })
    expect(code.statusCode).toBe(400)
  })
})
