import Ajv2020 from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/app'
import { deref, fuzzed, garbage, type Hints, isoDay, mutated, type Schema, valid } from './schema-arbitrary'
import { type Seeded, seedForFuzz } from './seed'

/**
 * Issue 10: every operation of the served OpenAPI document gets fuzzed requests (valid, near-valid and
 * broken) as several actors; no answer may be a 5xx, and every answer must be one the document declares
 * for that operation: a listed status, a listed content type, a body that validates against the schema.
 *
 * Reproduce a run with FUZZ_SEED=<seed printed below> (and FUZZ_SEQUENTIAL=1 for the same database states too);
 * FUZZ_SCALE=3 sends three times as many requests; FUZZ_DEBUG=1 prints every non-2xx answer.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261127)
const SCALE = Number(process.env.FUZZ_SCALE ?? 1)
const RUNS = Math.round(125 * SCALE)
/** Operations that hash a password (argon2), draw a PDF or post to the ledger: fewer runs keep the file near a minute on 2 cores. */
const SLOW_OPS: Record<string, number> = {
  login: 0.4,
  refreshToken: 0.5,
  createUser: 0.4,
  issueServiceCertificate: 0.5,
  getServiceCertificate: 0.7,
  getServiceCertificatePdf: 0.7,
  // the heaviest state change (a ledger posting per claim, under locks)
  finalizeRound: 0.6,
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

interface Param {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Schema
}
interface Operation {
  method: (typeof METHODS)[number]
  path: string
  operationId: string
  parameters: Param[]
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>
  /** A JSON operation that also answers a file on Accept: media type -> the file operation giving that file. */
  'x-also-answers'?: Record<string, string>
}

interface FuzzRequest {
  actor: number
  path: Record<string, string>
  query: [string, string][]
  headers: Record<string, string>
  body?: { contentType?: string; payload: string }
}

/** Server-side errors by request id: a 5xx report shows what broke, not only "internal error". */
const serverErrors = new Map<string, string>()
const t = await buildTestApp({
  beforeReady: (app) =>
    app.addHook('onError', async (request, _reply, err) => {
      serverErrors.set(
        request.id,
        `${err.name}: ${err.message} ${err.stack?.split('\n').slice(1, 4).join(' ') ?? ''}`,
      )
    }),
})
const seeded: Seeded = await seedForFuzz(t)
const doc = t.app.swagger() as unknown as {
  paths: Record<string, Record<string, Operation>>
  components?: Record<string, unknown>
}
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({
    ...item[m]!,
    parameters: item[m]!.parameters ?? [],
    method: m,
    path,
  })),
)
const byOperationId = new Map(operations.map((op) => [op.operationId, op]))

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
addFormats(ajv)
const validators = new WeakMap<Schema, ReturnType<typeof ajv.compile>>()
function validatorFor(schema: Schema) {
  let v = validators.get(schema)
  if (!v) {
    // `#/components/...` references resolve against the document's components, carried along in the root
    v = ajv.compile({ ...schema, components: doc.components })
    validators.set(schema, v)
  }
  return v
}

const statusCounts = new Map<number, number>()
const perOperation = new Map<string, number>()
const msPerOperation = new Map<string, number>()
const successes = new Map<string, number>()
let sent = 0
const started = Date.now()

/** Which seeded ids a path parameter should mostly get: the kind the path names. */
const RESOURCE_IDS: Record<string, string> = {
  users: 'users',
  'org-units': 'units',
  members: 'members',
  teams: 'teams',
  activities: 'activities',
  'service-requests': 'requests',
  'service-certificates': 'codes',
  'service-certificate-requests': 'certificateRequests',
  rubrics: 'rubrics',
  claims: 'claims',
  'scoring-rounds': 'rounds',
  objections: 'objections',
  transactions: 'transactions',
  rewards: 'rewards',
  redemptions: 'redemptions',
}
const PARAM_IDS: Record<string, string> = {
  memberId: 'members',
  claimId: 'claims',
  grantId: 'grants',
  certificateId: 'certificates',
  verificationCode: 'codes',
}

function idsForPathParam(op: Operation, name: string): string[] {
  if (PARAM_IDS[name]) return seeded.ids[PARAM_IDS[name]] ?? []
  const segments = op.path.split('/')
  const at = segments.indexOf(`{${name}}`)
  return seeded.ids[RESOURCE_IDS[segments[at - 1] ?? ''] ?? ''] ?? []
}

const allIds = Object.values(seeded.ids).flat()
const hints: Hints = { ids: allIds, byName: seeded.byName, root: doc as unknown as Schema }

/** Marks a path value to send without percent-encoding it. */
const RAW = 'raw:'

/** Path values never empty nor dot segments: those would reach another route (or none), not this operation. */
const badPathValue = fc.oneof(
  fc.constantFrom(
    'not-a-uuid',
    '1',
    '-1',
    'urn:uuid:6f1f3c4e-5b7a-4c1d-9e2f-0a1b2c3d4e5f',
    '6f1f3c4e5b7a4c1d9e2f0a1b2c3d4e5f',
    '{6f1f3c4e-5b7a-4c1d-9e2f-0a1b2c3d4e5f}',
    'x'.repeat(199),
    '%',
    'null',
    // sent as is, not percent-encoded: broken escapes and an encoded slash
    `${RAW}%zz`,
    `${RAW}%E0%A4%A`,
    `${RAW}%00`,
    `${RAW}a%2Fb`,
    `${RAW}%C0%AF`,
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
)
const safePathValue = (v: string) => v !== '' && v !== '.' && v !== '..' && v.length <= 200

function pathArb(op: Operation): fc.Arbitrary<Record<string, string>> {
  const model: Record<string, fc.Arbitrary<string>> = {}
  for (const p of op.parameters.filter((p) => p.in === 'path')) {
    const own = idsForPathParam(op, p.name)
    const options: fc.WeightedArbitrary<string>[] = [
      { weight: 2, arbitrary: valid(p.schema, hints).map(String) },
      { weight: 2, arbitrary: badPathValue.filter(safePathValue) },
    ]
    if (own.length) options.push({ weight: 8, arbitrary: fc.constantFrom(...own) })
    model[p.name] = fc.oneof(...options)
  }
  return fc.record(model)
}

function queryValue(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '')
}

function queryArb(op: Operation): fc.Arbitrary<[string, string][]> {
  const params = op.parameters.filter((p) => p.in === 'query')
  const entries = params.map((p) =>
    fc
      .oneof(
        {
          weight: p.required ? 12 : 3,
          arbitrary: valid(p.schema, hints, p.name).map((v) => [queryValue(v)]),
        },
        { weight: p.required ? 0 : 6, arbitrary: fc.constant([] as string[]) },
        { weight: 2, arbitrary: mutated(p.schema, hints).map((v) => [queryValue(v)]) },
        // the same parameter twice (?year=1&year=2)
        {
          weight: 1,
          arbitrary: fc.tuple(valid(p.schema, hints, p.name), garbage).map((vs) => vs.map(queryValue)),
        },
      )
      .map((values) => values.map((v) => [p.name, v] as [string, string])),
  )
  const extra = fc.oneof(
    { weight: 8, arbitrary: fc.constant([] as [string, string][]) },
    { weight: 1, arbitrary: fc.constant([['unknown', '1']] as [string, string][]) },
  )
  return fc.tuple(fc.tuple(...entries), extra).map(([lists, more]) => [...lists.flat(), ...more])
}

const idemKeys = ['fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3']
function headersArb(op: Operation): fc.Arbitrary<Record<string, string>> {
  const model: Record<string, fc.Arbitrary<string | undefined>> = {}
  for (const p of op.parameters.filter((p) => p.in === 'header')) {
    model[p.name] = fc.oneof(
      // a few shared keys: replays and key reuse with another body both happen
      { weight: 4, arbitrary: fc.constantFrom(...idemKeys) },
      { weight: 4, arbitrary: valid(p.schema, hints).map(String) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, '', ' ', 'x'.repeat(201), 'ключ', 'tab\tkey') },
    )
  }
  model.accept = fc.constantFrom(
    undefined,
    undefined,
    undefined,
    'application/json',
    'text/csv',
    'application/pdf',
    '*/*',
    'application/xml',
    'text/csv;q=0.9, application/json',
  )
  return fc
    .record(model)
    .map((h) =>
      Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined)),
    )
}

const csvArb = fc.oneof(
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('张三', '李四', '"a,b"')),
        fc.constantFrom('true', 'false', '是', '否', 'yes', '1', 'maybe', ''),
        fc.oneof(fc.constant(''), fc.stringMatching(/^1[3-9]\d{9}$/), fc.string({ maxLength: 12 })),
      ),
      { maxLength: 5 },
    )
    .map((rows) => ['name,isPartyMember,phone', ...rows.map((r) => r.join(','))].join('\n')),
  fc.constantFrom('', '\ufeffname,isPartyMember\n张三,是', 'a,b\n"unterminated', 'name\n'.repeat(3)),
  fc.string({ unit: 'binary', maxLength: 80 }),
)

const HUGE_JSON = JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) })

function bodyArb(op: Operation): fc.Arbitrary<FuzzRequest['body']> {
  const content = op.requestBody?.content ?? {}
  const broken: fc.WeightedArbitrary<FuzzRequest['body']>[] = [
    { weight: 10, arbitrary: fc.constant(undefined) },
    {
      weight: 10,
      arbitrary: fc
        .constantFrom('{', '{"a":', '[1,', 'nul', '', '\ufeff{}', '{"__proto__":{"x":1}}')
        .map((payload) => ({ contentType: 'application/json', payload })),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'text/plain',
            'application/xml',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
          ),
          fc.string({ maxLength: 20 }),
        )
        .map(([contentType, payload]) => ({ contentType, payload })),
    },
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json', payload: HUGE_JSON }) },
  ]
  const options: fc.WeightedArbitrary<FuzzRequest['body']>[] = [...broken]
  for (const [contentType, media] of Object.entries(content)) {
    if (contentType === 'text/csv') {
      options.push({ weight: 120, arbitrary: csvArb.map((payload) => ({ contentType, payload })) })
    } else {
      options.push({
        weight: 120,
        arbitrary: fuzzed(media.schema, hints).map((v) => ({
          contentType,
          payload: JSON.stringify(v) ?? 'null',
        })),
      })
    }
  }
  if (!op.requestBody) options.push({ weight: 120, arbitrary: fc.constant(undefined) })
  return fc.oneof(...options)
}

/** A request that should succeed in the seeded state (it may, once: a request accepted twice is a 409). */
interface Happy {
  actor: string
  path?: Record<string, string>
  body?: Record<string, unknown> | null
}

/**
 * Random bodies rarely satisfy every business rule at once (the right member for the right actor, a date in
 * the rubric's year...), so the operations that change state also get these, whole or with one field fuzzed.
 */
function happyPaths(): Record<string, Happy> {
  const n = seeded.named
  const year = new Date().getUTCFullYear()
  return {
    dispatchServiceRequest: {
      actor: 'gridWorkerA',
      path: { id: n.openRequest! },
      body: { memberId: n.memberA },
    },
    recordParticipation: {
      actor: 'secretaryA',
      path: { id: n.openActivity!, memberId: n.memberA! },
      body: { hours: '1.00' },
    },
    removeParticipation: { actor: 'secretaryA', path: { id: n.openActivity!, memberId: n.memberA2! } },
    createReward: { actor: 'clerkA', body: { orgUnitId: n.communityA, name: '肥皂', pointsCost: '5.00' } },
    acceptServiceRequest: { actor: 'memberA', path: { id: n.dispatchedRequest! } },
    declineServiceRequest: {
      actor: 'memberA',
      path: { id: n.dispatchedRequest! },
      body: { reason: '这周出差' },
    },
    completeServiceRequest: {
      actor: 'memberA',
      path: { id: n.acceptedRequest! },
      body: { hours: '1.50', note: '已送达' },
    },
    confirmServiceRequest: {
      actor: 'gridWorkerA',
      path: { id: n.completedRequest! },
      body: { rating: 5, feedback: '很及时' },
    },
    cancelServiceRequest: { actor: 'gridWorkerA', path: { id: n.openRequest! }, body: { reason: '已解决' } },
    issueServiceCertificate: {
      actor: 'secretaryA',
      path: { id: n.memberA! },
      body: { from: `${year}-01-01`, to: isoDay(0) },
    },
    requestServiceCertificate: {
      actor: 'memberA',
      body: { from: `${year}-01-01`, to: isoDay(0), orgUnitId: n.communityA },
    },
    declineServiceCertificateRequest: {
      actor: 'secretaryA',
      path: { id: n.certificateRequest! },
      body: { reason: '本期间无本单位记录' },
    },
    revokeServiceCertificate: {
      actor: 'secretaryA',
      path: { id: n.certificate! },
      body: { reason: '录入有误' },
    },
    createRubric: {
      actor: 'secretaryA',
      body: { orgUnitId: n.branchA, year: year + 2, name: '细则', fromTemplate: 'default' },
    },
    replaceRubricItems: {
      actor: 'secretaryA',
      path: { id: n.draftRubric! },
      body: { items: seeded.rubricItems },
    },
    activateRubric: { actor: 'secretaryA', path: { id: n.draftRubric! } },
    createClaim: {
      actor: 'memberA',
      body: {
        memberId: n.memberA,
        rubricId: n.rubric,
        itemCode: (seeded.byName.itemCode as string[])[0],
        occurredOn: isoDay(-1),
        description: '参加社区清洁',
        quantity: '1',
      },
    },
    withdrawClaim: { actor: 'memberA2', path: { id: n.looseClaim! } },
    createScoringRound: {
      actor: 'secretaryA',
      body: {
        orgUnitId: n.branchA,
        rubricId: n.rubric,
        periodStart: `${year}-01-01`,
        periodEnd: `${year}-12-31`,
        panelUserIds: [n.secretaryA, n.panelistA],
      },
    },
    getScoringRound: { actor: 'secretaryA', path: { id: n.round! } },
    getClaim: { actor: 'memberA', path: { id: n.claim! } },
    submitScore: {
      actor: 'panelistA',
      path: { id: n.round!, claimId: n.claim! },
      body: { time: 4, content: 4, quality: 4, points: '1.00' },
    },
    closeScoring: { actor: 'secretaryA', path: { id: n.round! } },
    getRoundResults: { actor: 'memberA', path: { id: n.round! } },
    exportRoundResultsCsv: { actor: 'memberA', path: { id: n.round! } },
    fileObjection: { actor: 'memberA', path: { id: n.claim! }, body: { reason: '分数偏低' } },
    ...(n.objection
      ? {
          resolveObjection: {
            actor: 'secretaryA',
            path: { id: n.objection },
            body: { decision: 'upheld', reply: '维持原分' },
          },
        }
      : {}),
    finalizeRound: { actor: 'secretaryA', path: { id: n.round! } },
    createRedemption: { actor: 'memberA', body: { memberId: n.memberA, rewardId: n.reward } },
    cancelRedemption: { actor: 'memberA', path: { id: n.redemption! }, body: { reason: '不要了' } },
    fulfilRedemption: { actor: 'clerkA', path: { id: n.redemption2! } },
    reverseTransaction: { actor: 'secretaryA', path: { id: n.transaction! }, body: { reason: '录错了' } },
  }
}
const HAPPY = happyPaths()

/** The schema of one property of an object schema (or of an anyOf of object schemas). */
function propertySchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined
  const s = deref(schema, hints)
  if (s.properties?.[key]) return s.properties[key]
  for (const alt of s.anyOf ?? s.oneOf ?? []) {
    const found = propertySchema(alt, key)
    if (found) return found
  }
  return undefined
}

function happyArb(op: Operation, h: Happy): fc.Arbitrary<FuzzRequest> {
  const actor = seeded.actors.findIndex((a) => a.name === h.actor)
  if (actor < 0) throw new Error(`fuzz: no actor ${h.actor}`)
  const schema = op.requestBody?.content['application/json']?.schema
  const body = h.body
  const bodies: fc.Arbitrary<Record<string, unknown> | null | undefined> =
    body && Object.keys(body).length
      ? fc.oneof(
          { weight: 2, arbitrary: fc.constant(body) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...Object.keys(body)).chain((k) => {
              const ps = propertySchema(schema, k)
              return (ps ? fuzzed(ps, hints) : garbage).map((v) => ({ ...body, [k]: v }))
            }),
          },
        )
      : fc.constant(body)
  const idem = op.parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key')
  return fc.record({
    actor: fc.constant(actor),
    path: fc.constant(h.path ?? {}),
    query: fc.constant([] as [string, string][]),
    headers: idem ? fc.uuid().map((u) => ({ 'idempotency-key': `happy-${u}` })) : fc.constant({}),
    body: bodies.map((b) =>
      b === undefined ? undefined : { contentType: 'application/json', payload: JSON.stringify(b) },
    ),
  })
}

function requestArb(op: Operation): fc.Arbitrary<FuzzRequest> {
  const happy = HAPPY[op.operationId]
  const fuzz = fuzzArb(op)
  return (
    happy ? fc.oneof({ weight: 3, arbitrary: fuzz }, { weight: 1, arbitrary: happyArb(op, happy) }) : fuzz
  ).map((r) =>
    // a counterexample prints as the request line, bounded, not as a 100 kB object dump
    Object.assign(r, { [fc.toStringMethod]: () => describeRequest(op, r) }),
  )
}

function fuzzArb(op: Operation): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    // staff and members most of the time; no token, a bad one or a deleted user's now and then
    actor: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: seeded.actors.length - 4 }) },
      { weight: 1, arbitrary: fc.integer({ min: seeded.actors.length - 3, max: seeded.actors.length - 1 }) },
    ),
    path: pathArb(op),
    query: queryArb(op),
    headers: headersArb(op),
    body: op.method === 'get' ? fc.constant(undefined) : bodyArb(op),
  })
}

/** Lone surrogates cannot be percent-encoded as UTF-8; a client would send U+FFFD, so do the same. */
const enc = (v: string) =>
  encodeURIComponent(
    v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  )

function urlOf(op: Operation, r: FuzzRequest): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = r.path[name] ?? ''
    return v.startsWith(RAW) ? v.slice(RAW.length) : enc(v)
  })
  const query = r.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')
  return query ? `${path}?${query}` : path
}

function mediaType(header: unknown): string {
  return String(header ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase()
}

/** Why the response is not what the document promises, or null. */
function mismatch(op: Operation, res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) {
    const id = String(res.headers['x-request-id'] ?? /request id ([0-9a-f-]{36})/.exec(res.body)?.[1] ?? '')
    return `status ${res.statusCode}: ${res.body.slice(0, 300)}\n  server error: ${serverErrors.get(id) ?? '(none recorded)'}`
  }
  const documented =
    op.responses[String(res.statusCode)] ??
    op.responses[`${String(res.statusCode)[0]}XX`] ??
    op.responses.default
  if (!documented) return `status ${res.statusCode} is not documented (${res.body.slice(0, 300)})`
  const content = documented.content
  if (!content || Object.keys(content).length === 0) {
    return res.body === ''
      ? null
      : `status ${res.statusCode} documents no body but got ${res.body.slice(0, 200)}`
  }
  const type = mediaType(res.headers['content-type'])
  // A JSON operation still answers a file on Accept (x-also-answers): that file is as its file operation documents it.
  const twin = op['x-also-answers']?.[type]
  const media =
    content[type] ?? (twin ? byOperationId.get(twin)?.responses['200']?.content?.[type] : undefined)
  if (!media) return `content-type ${type} is not documented for ${res.statusCode} (${Object.keys(content)})`
  if (type === 'application/pdf')
    return res.rawPayload.subarray(0, 5).toString('latin1') === '%PDF-' ? null : 'not a PDF'
  if (type.startsWith('text/')) return null
  let body: unknown
  try {
    body = res.json()
  } catch {
    return `body is not JSON: ${res.body.slice(0, 200)}`
  }
  if (type === 'application/problem+json') {
    const p = body as { code?: unknown; status?: unknown }
    if (typeof p.code !== 'string') return `problem without code: ${res.body.slice(0, 200)}`
    if (p.status !== res.statusCode) return `problem status ${p.status} on a ${res.statusCode}`
  }
  if (media.schema) {
    const v = validatorFor(media.schema)
    if (!v(body))
      return `body does not match the schema: ${ajv.errorsText(v.errors)}; body ${res.body.slice(0, 300)}`
  }
  return null
}

async function send(op: Operation, r: FuzzRequest): Promise<LightMyRequestResponse> {
  const actor = seeded.actors[r.actor]!
  const headers: Record<string, string> = { ...r.headers }
  if (actor.authorization) headers.authorization = actor.authorization
  if (r.body?.contentType) headers['content-type'] = r.body.contentType
  const t0 = performance.now()
  const res = await t.app.inject({
    method: op.method.toUpperCase() as 'GET',
    url: urlOf(op, r),
    headers,
    ...(r.body ? { payload: r.body.payload } : {}),
  })
  sent++
  statusCounts.set(res.statusCode, (statusCounts.get(res.statusCode) ?? 0) + 1)
  perOperation.set(op.operationId, (perOperation.get(op.operationId) ?? 0) + 1)
  if (res.statusCode < 300) successes.set(op.operationId, (successes.get(op.operationId) ?? 0) + 1)
  msPerOperation.set(op.operationId, (msPerOperation.get(op.operationId) ?? 0) + performance.now() - t0)
  return res
}

function describeRequest(op: Operation, r: FuzzRequest): string {
  const actor = seeded.actors[r.actor]!.name
  const body = r.body ? ` [${r.body.contentType ?? 'no content-type'}] ${r.body.payload.slice(0, 400)}` : ''
  return `${op.method.toUpperCase()} ${urlOf(op, r).slice(0, 300)} as ${actor} headers ${JSON.stringify(r.headers)}${body}`
}

/** A stable per-operation seed: one operation's failure reproduces without running the others first. */
function seedOf(operationId: string): number {
  let h = SEED | 0
  for (const c of operationId) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0
  return h
}

console.log(
  `fuzz: seed ${SEED} (FUZZ_SEED), ${RUNS} runs per operation (FUZZ_SCALE=${SCALE}), ${operations.length} operations`,
)

describe('fuzzing every operation of the OpenAPI document', () => {
  afterAll(async () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    const statuses = [...statusCounts.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`)
    const least = [...perOperation.entries()].sort((a, b) => a[1] - b[1]).slice(0, 3)
    console.log(
      `fuzz: ${sent} requests over ${perOperation.size} operations in ${seconds} s (seed ${SEED}); statuses { ${statuses.join(', ')} }; fewest: ${least.map(([o, n]) => `${o} ${n}`).join(', ')}`,
    )
    const never = operations.map((o) => o.operationId).filter((o) => !successes.has(o))
    console.log(`fuzz: operations that never answered 2xx (${never.length}): ${never.join(', ') || 'none'}`)
    const slowest = [...msPerOperation.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)
    console.log(
      `fuzz: most time in ${slowest.map(([o, ms]) => `${o} ${(ms / 1000).toFixed(1)} s (${(ms / (perOperation.get(o) ?? 1)).toFixed(1)} ms/request)`).join(', ')}`,
    )
    await t.app.close()
  })

  it('covers every operation the app serves', () => {
    expect(operations.length).toBeGreaterThan(80)
    for (const op of operations) expect(op.operationId, `${op.method} ${op.path}`).toEqual(expect.any(String))
  })

  // Operations run a few at a time (PostgreSQL and the app overlap on two cores); FUZZ_SEQUENTIAL=1 runs them one
  // by one, so that a failure reproduces with the same database state as well as the same requests.
  const operationsSuite = process.env.FUZZ_SEQUENTIAL ? describe : describe.concurrent
  operationsSuite('each operation', () => {
    for (const op of operations) {
      const runs = Math.max(20, Math.round(RUNS * (SLOW_OPS[op.operationId] ?? 1)))
      it(`${op.operationId}: ${op.method.toUpperCase()} ${op.path}`, async () => {
        await fc.assert(
          fc.asyncProperty(requestArb(op), async (r) => {
            const res = await send(op, r)
            if (process.env.FUZZ_DEBUG && res.statusCode >= 300)
              console.log(describeRequest(op, r).slice(0, 300), '->', res.statusCode, res.body.slice(0, 200))
            const why = mismatch(op, res)
            if (why) throw new Error(`${why}\n  request: ${describeRequest(op, r)}`)
          }),
          { numRuns: runs, seed: seedOf(op.operationId), endOnFailure: true },
        )
        // a few seconds alone; the margin is for a machine busy with the rest of the suite
      }, 180_000)
    }
  })

  describe('inputs the fuzzer once broke the server with', () => {
    const admin = seeded.actors.find((a) => a.name === 'admin')!.authorization!
    const reward = seeded.named.reward!

    it('a uuid in URN form is a 400, not a 500 from PostgreSQL', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/rewards/urn:uuid:${reward}`,
        headers: { authorization: admin },
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('validation_failed')
    })

    it('a broken percent-escape in the path is a problem+json 400 with a code', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/members/%E0%A4%A',
        headers: { authorization: admin },
      })
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json().code).toBe('validation_failed')
    })

    it('an activity in 1900 is a 400, not a 500 reading back its local-mean-time offset', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/activities',
        headers: { authorization: admin },
        payload: {
          orgUnitId: seeded.named.branchA,
          title: '清洁',
          startsAt: '1900-01-01T00:00:00.024Z',
          endsAt: '1900-01-01T02:00:00Z',
        },
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors[0].field).toBe('startsAt')
    })

    it('a body that is not JSON is a 415 the operation documents', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/teams',
        headers: { authorization: admin, 'content-type': 'application/xml' },
        payload: '<team/>',
      })
      expect(res.statusCode, res.body).toBe(415)
      expect(Object.keys(doc.paths['/api/v1/teams']!.post!.responses)).toContain('415')
    })
  })

  it('sent at least 10,000 requests at the default scale', () => {
    if (SCALE >= 1) expect(sent).toBeGreaterThanOrEqual(10_000)
  })
})
