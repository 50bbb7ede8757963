import { readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createPastActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'
import { stockedReward } from '../helpers/rewards'
import { activeRubric, claim, openRound, panel, thisYear, yearEnd, yearStart } from '../helpers/scoring'

/**
 * The "Low" input-hardening findings of the penetration test (issue 15): crafted pagination cursors, dates at
 * the edges, control characters in the CSV member import, and the client's X-Request-Id. Every operation is
 * found in the OpenAPI document, so an operation added later is covered (or fails here until it is).
 */

interface Operation {
  method: string
  path: string
  operationId: string
  parameters: { name: string; in: string; required?: boolean; schema?: { format?: string } }[]
  body?: Record<string, unknown>
}
interface Doc {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'> & { requestBody?: unknown }>>
}
const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as Doc
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    operationId: op.operationId,
    parameters: op.parameters ?? [],
    body: (op.requestBody as { content?: Record<string, { schema?: Record<string, unknown> }> } | undefined)
      ?.content?.['application/json']?.schema,
  })),
)

let t: TestApp
let w: World
let rewardId: string
let roundId: string
let rubricId: string
let activityId: string
let webhookId: string
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
const UUID = '6f1f3c4e-5b7a-4c1d-9e2f-0a1b2c3d4e5f'

beforeAll(async () => {
  // Private networks allowed so a webhook on 127.0.0.1 can be made; no worker runs in this app.
  t = await buildTestApp({ webhookAllowPrivateNetworks: true })
  w = await createWorld(t.db)
  rewardId = (await stockedReward(t, w.clerkA, w.communityA, { stock: 3 })).id
  await stockedReward(t, w.clerkA, w.communityA)
  rubricId = await activeRubric(t, w)
  await claim(t, w.secretaryA, { memberId: w.memberA.memberId, rubricId, itemCode: 'STUDY', quantity: 1 })
  roundId = (await openRound(t, w, { rubricId, panelUserIds: await panel(t.db, w) })).id
  await t.db.execute(sql`update scoring_rounds set closed_at = now() where id = ${roundId}`)
  activityId = await createPastActivity(t, w.secretaryA, w.branchA)
  const hook = await t.call({
    method: 'POST',
    url: '/api/v1/webhooks',
    as: w.admin,
    payload: { orgUnitId: w.branchA, url: 'http://127.0.0.1:9/hook', eventTypes: ['points.posted'] },
  })
  expect(hook.statusCode, hook.body).toBe(201)
  webhookId = hook.json().id
})

/** Values of the path and required query parameters, so each request reaches the cursor. */
function pathOf(op: Operation): string {
  const ids: Record<string, () => string> = {
    '/api/v1/members/{id}/ledger': () => w.memberA.memberId,
    '/api/v1/members/{id}/ledger.csv': () => w.memberA.memberId,
    '/api/v1/members/{id}/service-certificates': () => w.memberA.memberId,
    '/api/v1/members/{id}/service-hours': () => w.memberA.memberId,
    '/api/v1/members/{id}/service-hours.csv': () => w.memberA.memberId,
    '/api/v1/rewards/{id}/stock': () => rewardId,
    '/api/v1/scoring-rounds/{id}/results': () => roundId,
    '/api/v1/activities/{id}/check-ins': () => activityId,
    '/api/v1/activities/{id}/sign-ups': () => activityId,
    '/api/v1/webhooks/{id}/deliveries': () => webhookId,
  }
  if (op.path.includes('{')) {
    const id = ids[op.path]
    if (!id) throw new Error(`input-hardening: no path parameters for ${op.operationId}; add them here`)
    return op.path.replace('{id}', id())
  }
  return op.path
}
function requiredQuery(op: Operation): Record<string, string> {
  const known: Record<string, () => string> = {
    orgUnitId: () => w.branchA,
    year: () => String(thisYear()),
  }
  const out: Record<string, string> = {}
  for (const p of op.parameters.filter((p) => p.in === 'query' && p.required)) {
    const v = known[p.name]
    if (!v) throw new Error(`input-hardening: no value for required ${p.name} of ${op.operationId}`)
    out[p.name] = v()
  }
  return out
}
const get = (op: Operation, query: Record<string, string>) =>
  t.call({
    method: 'GET',
    url: `${pathOf(op)}?${new URLSearchParams({ ...requiredQuery(op), ...query })}`,
    // The caller's own lists (/me/...) are a member's; every other list is read as admin.
    as: op.path.startsWith('/api/v1/me/') ? w.memberA.userId : w.admin,
  })

describe('crafted pagination cursors are 400 validation_failed on every list, never a 500', () => {
  const lists = operations.filter((op) => op.parameters.some((p) => p.name === 'cursor' && p.in === 'query'))
  /** Malformed for every list, whatever its key. */
  const CRAFTED: [string, string][] = [
    ['two strings', b64(['x', 'y'])],
    ['one string', b64(['x'])],
    ['three strings', b64(['x', 'y', 'z'])],
    ['numbers', b64([1, 2])],
    ['a fraction', b64([1.5])],
    ['an unsafe integer', b64([1e300])],
    ['nulls', b64([null, null])],
    ['a null', b64([null])],
    ['an empty array', b64([])],
    ['an object', b64({ a: 1 })],
    ['a string', b64('x')],
    ['not JSON', b64('not json{')],
    ['not base64 JSON', 'A'.repeat(500)],
    ['a huge string', b64(['x'.repeat(360)])],
    ['a huge string and not an id', b64(['x'.repeat(300), 'y'])],
    ['over the cursor limit', b64(['x'.repeat(400), UUID])],
    ['a number and not an id', b64([1, 'y'])],
    ['an id and a time', b64([UUID, '2026-01-01 00:00:00+08'])],
  ]
  /** The key each list gives out (as its service decodes it), and cursors malformed only for that key. */
  const SHAPES: Record<string, string> = {
    listUsers: 'text,uuid',
    listOrgUnits: 'text,uuid',
    listMembers: 'text,uuid',
    listRegistrations: 'timestamp,uuid',
    listTeams: 'text,uuid',
    listActivities: 'timestamp,uuid',
    listServiceRequests: 'timestamp,uuid',
    listServiceCertificates: 'timestamp,uuid',
    listRubrics: 'timestamp,uuid',
    listClaims: 'timestamp,uuid',
    listScoringRounds: 'timestamp,uuid',
    getRoundResults: 'uuid',
    listMemberLedger: 'int',
    listRewards: 'text,uuid',
    listStockMovements: 'timestamp,uuid',
    listRedemptions: 'timestamp,uuid',
    getRanking: 'int,uuid',
    getHoursPointsByTeam: 'text,uuid',
    getHoursPointsByActivity: 'timestamp,uuid',
    getMonthlyTotals: 'month',
    getRedemptionsByReward: 'text,uuid',
    listInactiveMembers: 'text,uuid',
    listAuditEvents: 'timestamp,uuid',
    listResidents: 'text,uuid',
    listResidentInvitations: 'timestamp,uuid',
    listMyServiceRequests: 'timestamp,uuid',
    listServiceRequestBoard: 'timestamp,uuid',
    listActivityCheckIns: 'timestamp,uuid',
    listActivitySignUps: 'int,timestamp,uuid',
    listMySignUps: 'timestamp,uuid',
    listOpenActivities: 'timestamp,uuid',
    listServiceCertificateRequests: 'timestamp,uuid',
    listMyAppraisals: 'int',
    listWebhooks: 'uuid',
    listWebhookDeliveries: 'int',
    getStandings: 'int,int,text,uuid',
    listAppraisals: 'text,uuid',
    getDualRegistrationReport: 'text,uuid,uuid',
  }
  const BY_SHAPE: Record<string, [string, string][]> = {
    'text,uuid': [
      ['a number where text is', b64([1, UUID])],
      ['NUL in the text', b64(['\u0000', UUID])],
      ['a lone surrogate in the text', b64(['\ud800', UUID])],
      ['text and not an id', b64(['x', 'not-a-uuid'])],
      ['text and a urn id', b64(['x', `urn:uuid:${UUID}`])],
    ],
    'timestamp,uuid': [
      ['text where a time is', b64(['x', UUID])],
      ['a number where a time is', b64([1, UUID])],
      ['an impossible day', b64(['2026-02-30 00:00:00+08', UUID])],
      ['year 0', b64(['0000-01-01 00:00:00+08', UUID])],
      ['hour 25', b64(['2026-01-01 25:00:00+08', UUID])],
      ['an offset PostgreSQL refuses', b64(['2026-01-01 00:00:00+99', UUID])],
      ['a time and not an id', b64(['2026-01-01 00:00:00+08', 'x'])],
      ['infinity', b64(['infinity', UUID])],
    ],
    'int,uuid': [
      ['a numeric string', b64(['1', UUID])],
      ['a fraction', b64([1.5, UUID])],
      ['an unsafe integer', b64([2 ** 60, UUID])],
      ['a rank and not an id', b64([1, 'x'])],
    ],
    int: [
      ['a numeric string', b64(['1'])],
      ['a negative fraction', b64([-1.5])],
      ['an unsafe integer', b64([2 ** 60])],
    ],
    month: [
      ['month 13', b64(['2026-13'])],
      ['a day', b64(['2026-01-01'])],
      ['a number', b64([202601])],
    ],
    uuid: [
      ['not an id', b64(['x'])],
      ['a number', b64([1])],
    ],
  }

  it('finds the lists in the contract, each with its key here', () => {
    expect(lists.length).toBeGreaterThanOrEqual(18)
    expect(lists.map((op) => op.operationId).filter((id) => !SHAPES[id])).toEqual([])
  })

  for (const op of lists) {
    it(`${op.operationId}: every crafted cursor`, async () => {
      const answers: string[] = []
      for (const [name, cursor] of [...CRAFTED, ...(BY_SHAPE[SHAPES[op.operationId] ?? ''] ?? [])]) {
        const res = await get(op, { cursor })
        const ok = res.statusCode === 400 && res.json().code === 'validation_failed'
        if (!ok) answers.push(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`)
        else expect(res.json().errors[0].field).toBe('cursor')
      }
      expect(answers).toEqual([])
    })
  }

  it('a cursor a list gave out still reads the next page', async () => {
    let followed = 0
    for (const op of lists) {
      const first = await get(op, { limit: '1' })
      expect(first.statusCode, `${op.operationId}: ${first.body}`).toBe(200)
      const next = first.json().nextCursor as string | null
      if (!next) continue
      const second = await get(op, { limit: '1', cursor: next })
      expect(second.statusCode, `${op.operationId}: ${second.body}`).toBe(200)
      followed++
    }
    expect(followed).toBeGreaterThanOrEqual(5)
  })
})

describe('dates at the edges are 400 validation_failed naming the field, never a 500', () => {
  const isDate = (f?: string) => f === 'date' || f === 'date-time'
  const BAD_DATES = [
    '9999-12-31',
    '0000-01-01',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '1999-12-31',
    '2101-01-01',
  ]
  const BAD_DATE_TIMES = [
    '9999-12-31T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-02-30T10:00:00Z',
    '1999-12-31T23:00:00Z',
    '2101-01-01T00:00:00+08:00',
    '2016-12-31T23:59:60Z',
  ]
  const bad = (format: string) => (format === 'date' ? BAD_DATES : BAD_DATE_TIMES)

  const withDateQuery = operations.filter((op) =>
    op.parameters.some((p) => p.in === 'query' && isDate(p.schema?.format)),
  )
  function dateFields(schema: Record<string, unknown> | undefined): [string, string][] {
    const props = (schema?.properties ?? {}) as Record<string, { format?: string }>
    return Object.entries(props)
      .filter(([, s]) => isDate(s.format))
      .map(([k, s]) => [k, s.format as string])
  }
  const withDateBody = operations.filter((op) => dateFields(op.body).length > 0)

  /** A body valid but for the date under test: only that field may be named. */
  const bodies: Record<string, () => { url: string; headers?: Record<string, string>; payload: object }> = {
    createActivity: () => ({
      url: '/api/v1/activities',
      payload: {
        orgUnitId: w.branchA,
        title: '清洁',
        startsAt: `${yearStart()}T09:00:00+08:00`,
        endsAt: `${yearStart()}T11:00:00+08:00`,
      },
    }),
    // A member asks their home branch; the date is refused before anything is looked up.
    requestServiceCertificate: () => ({
      url: '/api/v1/service-certificate-requests',
      headers: { 'idempotency-key': crypto.randomUUID() },
      payload: { from: yearStart(), to: yearEnd(), orgUnitId: w.branchA },
    }),
    issueServiceCertificate: () => ({
      url: `/api/v1/members/${w.memberA.memberId}/service-certificates`,
      headers: { 'idempotency-key': crypto.randomUUID() },
      payload: { from: yearStart(), to: yearEnd() },
    }),
    createClaim: () => ({
      url: '/api/v1/claims',
      payload: {
        memberId: w.memberA.memberId,
        rubricId,
        itemCode: 'STUDY',
        quantity: 1,
        occurredOn: yearStart(),
        description: 'did it',
      },
    }),
    createClaimsBatch: () => ({
      url: '/api/v1/claims/batch',
      headers: { 'idempotency-key': crypto.randomUUID() },
      payload: {
        memberIds: [w.memberA.memberId],
        rubricId,
        itemCode: 'STUDY',
        quantity: 1,
        occurredOn: yearStart(),
        description: 'did it',
      },
    }),
    // Staff at the door for a member without a phone; the date is refused before the activity is looked up.
    checkIn: () => ({
      url: `/api/v1/activities/${crypto.randomUUID()}/check-ins`,
      payload: { memberId: w.memberA.memberId, reason: '无手机', at: `${yearStart()}T09:00:00+08:00` },
    }),
    checkOut: () => ({
      url: `/api/v1/activities/${crypto.randomUUID()}/check-outs`,
      payload: { memberId: w.memberA.memberId, reason: '无手机', at: `${yearStart()}T11:00:00+08:00` },
    }),
    createResidentInvitation: () => ({
      url: '/api/v1/resident-invitations',
      payload: { orgUnitId: w.communityA, maxUses: 10, expiresAt: `${yearEnd()}T23:00:00+08:00` },
    }),
    createScoringRound: () => ({
      url: '/api/v1/scoring-rounds',
      payload: {
        orgUnitId: w.branchA,
        rubricId,
        periodStart: yearStart(),
        periodEnd: yearEnd(),
        panelUserIds: [w.secretaryA, w.panelistA],
      },
    }),
  }

  it('finds the operations with a date input in the contract', () => {
    expect(withDateQuery.length).toBeGreaterThanOrEqual(7)
    expect(withDateBody.map((op) => op.operationId).sort()).toEqual(Object.keys(bodies).sort())
  })

  for (const op of withDateQuery) {
    const params = op.parameters.filter((p) => p.in === 'query' && isDate(p.schema?.format))
    it(`${op.operationId}: ${params.map((p) => p.name).join(', ')} in the query`, async () => {
      const answers: string[] = []
      for (const p of params) {
        for (const value of bad(p.schema!.format!)) {
          const res = await get(op, { [p.name]: value })
          const body = res.json()
          if (
            res.statusCode !== 400 ||
            body.code !== 'validation_failed' ||
            !body.errors?.some((e: { field: string }) => e.field === p.name)
          )
            answers.push(`${p.name}=${value}: ${res.statusCode} ${res.body.slice(0, 200)}`)
          else if (!/2000-01-01.*2100-12-31/.test(body.detail))
            answers.push(`${p.name}=${value}: no supported range in "${body.detail}"`)
        }
      }
      // The edges of the supported range themselves are answered, not failed.
      const edges = await get(
        op,
        Object.fromEntries(params.map((p) => [p.name, p.name === 'to' ? '2100-12-31' : '2000-01-01'])),
      )
      if (edges.statusCode >= 500) answers.push(`edges: ${edges.statusCode} ${edges.body.slice(0, 200)}`)
      expect(answers).toEqual([])
    })
  }

  for (const op of withDateBody) {
    it(`${op.operationId}: ${dateFields(op.body)
      .map(([k]) => k)
      .join(', ')} in the body`, async () => {
      const answers: string[] = []
      for (const [field, format] of dateFields(op.body)) {
        for (const value of bad(format)) {
          const base = bodies[op.operationId]!()
          const res = await t.call({
            method: op.method as 'POST',
            url: base.url,
            as: w.admin,
            headers: base.headers,
            payload: { ...base.payload, [field]: value },
          })
          const body = res.json()
          if (
            res.statusCode !== 400 ||
            body.code !== 'validation_failed' ||
            !body.errors?.length ||
            !body.errors.every((e: { field: string }) => e.field === field)
          )
            answers.push(`${field}=${value}: ${res.statusCode} ${res.body.slice(0, 300)}`)
        }
      }
      expect(answers).toEqual([])
    })
  }
})

describe('the CSV member import follows the JSON text rule', () => {
  const importCsv = (body: string) =>
    t.call({
      method: 'POST',
      url: `/api/v1/members/import?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
      headers: { 'content-type': 'text/csv' },
      payload: body,
    })
  const CASES: [string, string][] = [
    ['BEL in a name', 'ab\u0007c'],
    ['ESC in a name', '\u001b[31m红\u001b[0m'],
    ['NUL in a name', 'a\u0000b'],
    ['RIGHT-TO-LEFT OVERRIDE in a name', '张\u202Egnp.exe'],
    ['DEL in a name', 'a\u007fb'],
  ]

  for (const [what, name] of CASES) {
    it(`${what}: 400 naming the line, as the JSON API refuses it`, async () => {
      const res = await importCsv(`name,isPartyMember,phone,workUnit\n王五,true,,\n${name},true,,\n`)
      expect(res.statusCode, res.body).toBe(400)
      const body = res.json()
      expect(body.code).toBe('validation_failed')
      expect(body.errors).toEqual([
        expect.objectContaining({ line: 3, message: expect.stringMatching(/name/) }),
      ])

      const json = await t.call({
        method: 'POST',
        url: '/api/v1/members',
        as: w.secretaryA,
        payload: { orgUnitId: w.branchA, name, isPartyMember: true },
      })
      expect(json.statusCode, json.body).toBe(400)
      expect(json.json().errors[0].field).toBe('name')
    })
  }

  it('a control character in workUnit names the line and the column', async () => {
    const res = await importCsv('name,isPartyMember,phone,workUnit\n王五,true,,"医院\u001b"\n')
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringMatching(/workUnit/) }),
    ])
  })

  it('tab, line feed and Chinese text still import', async () => {
    const res = await importCsv('name,isPartyMember,phone,workUnit\n王\t五,true,,"城关镇\n第二小学"\n')
    expect(res.statusCode, res.body).toBe(201)
  })
})

describe('X-Request-Id: a short safe token is kept, anything else is replaced by a fresh UUID', () => {
  const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  const ask = (id?: string) =>
    t.app.inject({ method: 'GET', url: '/healthz', headers: id === undefined ? {} : { 'x-request-id': id } })

  it('a good one is echoed as is', async () => {
    for (const id of ['abc-123', 'trace:0af7651916cd43dd8448eb211c80319c', 'a.b_c-d:e', 'x'.repeat(64)]) {
      const res = await ask(id)
      expect(res.headers['x-request-id']).toBe(id)
    }
  })

  it('none, empty, long, spaces, escapes, non-ASCII: a generated UUID', async () => {
    const bad = [
      undefined,
      '',
      'x'.repeat(65),
      'y'.repeat(5000),
      'has space',
      'line\\r\\nInjected: 1',
      'tab\tin',
      '请求-1',
      'caf\u00e9',
      '<script>',
      'a/b',
      '"quoted"',
    ]
    for (const id of bad) {
      const res = await ask(id)
      expect(res.headers['x-request-id'], JSON.stringify(id)).toMatch(UUID_RE)
    }
  })
})
