import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { seedForFuzz } from '../fuzz/seed'
import { step } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { idemKey } from '../helpers/rewards'
import { endPublicity, finalize, thisYear } from '../helpers/scoring'

/**
 * Issue 17, "one way to speak": every instant the API answers, in every resource, is RFC 3339 in the service
 * zone (Asia/Shanghai here) with its offset and exactly three fraction digits. The API is walked as users walk
 * it (one of every object made through the routes, then each lifecycle step), every answer is kept, then every
 * GET operation of the served OpenAPI document is called; every string anywhere in any answer (nested objects,
 * audit events' before/after, CSV cells) that looks like a date and time must be in the one format. A new
 * resource is caught twice: its strings are walked, and an operation whose answer declares a date-time but
 * showed none fails the coverage check.
 */

const ONE_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/
/** Anything that starts like a date and a time (the formats the issue found: ...Z, +08:00 without fraction, ...). */
const LOOKS_LIKE_INSTANT = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}/
const SERVICE_OFFSET = '+08:00' // Asia/Shanghai keeps no daylight saving time

const base = await buildTestApp()
const seen: { where: string; body: unknown }[] = []
const record = (where: string, res: LightMyRequestResponse) => {
  const type = String(res.headers['content-type'] ?? '')
  if (type.includes('json')) seen.push({ where, body: res.json() })
  else if (type.startsWith('text/csv')) seen.push({ where, body: csvCells(res.body) })
}
/** The test app with every answer kept. */
const t: TestApp = {
  ...base,
  call: async (opts) => {
    const res = await base.call(opts)
    record(`${opts.method} ${String(opts.url)}`, res)
    return res
  },
}
afterAll(async () => {
  await base.app.close()
})

function csvCells(text: string): string[] {
  // The exports quote cells with commas; a timestamp never holds one, so splitting on separators is enough here.
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n/)
    .flatMap((line) => line.split(','))
    .map((cell) => cell.replace(/^"|"$/g, ''))
}

/** Every string that looks like an instant, with its JSON path. */
function instants(value: unknown, path = '$'): { path: string; value: string }[] {
  if (typeof value === 'string') return LOOKS_LIKE_INSTANT.test(value) ? [{ path, value }] : []
  if (Array.isArray(value)) return value.flatMap((v, i) => instants(v, `${path}[${i}]`))
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => instants(v, `${path}.${k}`))
  return []
}

const ok = async (opts: InjectOptions & { as?: string }, status = 200) => {
  const res = await t.call(opts)
  expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBe(status)
  return res.json()
}

// One of every object, through the routes (test/fuzz/seed.ts), then every lifecycle step that stamps a time.
const seeded = await seedForFuzz(t)
const w = seeded.world
const n = seeded.named

// Scoring: two panelists score, the round closes (publicity), an objection is filed and answered, and the
// round is finalized once publicity is over (ledger awards).
const round = await ok({ method: 'GET', url: `/api/v1/scoring-rounds/${n.round}`, as: w.secretaryA })
for (const c of round.claims as { claimId: string }[]) {
  const claim = await ok({ method: 'GET', url: `/api/v1/claims/${c.claimId}`, as: w.secretaryA })
  for (const panelist of [w.secretaryA, w.panelistA]) {
    await ok({
      method: 'PUT',
      url: `/api/v1/scoring-rounds/${n.round}/claims/${c.claimId}/score`,
      as: panelist,
      payload: { time: 4, content: 4, quality: 4, points: claim.ceiling },
    })
  }
}
const closed = await ok({ method: 'POST', url: `/api/v1/scoring-rounds/${n.round}/close`, as: w.secretaryA })
const objection = await ok(
  {
    method: 'POST',
    url: `/api/v1/claims/${(round.claims as { claimId: string }[]).find((c) => c.claimId !== n.claim)!.claimId}/objections`,
    as: w.memberA.userId,
    payload: { reason: '时长与记录不符' },
  },
  201,
)
await ok({
  method: 'POST',
  url: `/api/v1/objections/${objection.id}/resolve`,
  as: w.secretaryA,
  payload: { decision: 'upheld', reply: '经核实无误' },
})
const tooEarly = await finalize(t, w.secretaryA, n.round!)
await endPublicity(t.db, n.round!)
const finalized = await finalize(t, w.secretaryA, n.round!)
expect(finalized.statusCode, finalized.body).toBe(200)
await ok({ method: 'POST', url: `/api/v1/claims/${n.looseClaim}/withdraw`, as: seeded.ids.users![9] })

// 评优 (issue 19): an appraisal of member A, so listAppraisals answers its recordedAt.
await ok({
  method: 'PUT',
  url: `/api/v1/members/${w.memberA.memberId}/appraisals/${thisYear()}`,
  as: w.secretaryA,
  payload: { outcome: '合格' },
})
// Published, so member A reads it (listMyAppraisals) with its recordedAt.
await ok(
  {
    method: 'POST',
    url: '/api/v1/appraisals/publish',
    as: w.secretaryA,
    payload: { orgUnitId: w.branchA, year: thisYear() },
  },
  201,
)

// Service requests: confirmed, declined, cancelled.
await ok({
  method: 'POST',
  url: `/api/v1/service-requests/${n.completedRequest}/confirm`,
  as: w.gridWorkerA,
  payload: { rating: 5 },
})
expect((await step(t, w.memberA.userId, n.dispatchedRequest!, 'decline')).statusCode).toBe(200)
expect((await step(t, w.gridWorkerA, n.openRequest!, 'cancel')).statusCode).toBe(200)
// A wish published on the board (issue 18), so listServiceRequestBoard shows one.
const wish = await ok(
  {
    method: 'POST',
    url: '/api/v1/service-requests',
    as: w.gridWorkerA,
    payload: {
      orgUnitId: w.branchA,
      requesterName: '王秀兰',
      title: '新书包',
      description: '孙子的书包坏了',
      kind: 'wish',
    },
  },
  201,
)
await ok({ method: 'POST', url: `/api/v1/service-requests/${wish.id}/publish`, as: w.gridWorkerA })

// Rewards: one redemption fulfilled (ledger post), one cancelled (void), a write-off.
await ok({ method: 'POST', url: `/api/v1/redemptions/${n.redemption}/fulfil`, as: w.clerkA })
await ok({
  method: 'POST',
  url: `/api/v1/redemptions/${n.redemption2}/cancel`,
  as: w.clerkA,
  payload: { reason: '居民改期' },
})
await ok(
  {
    method: 'POST',
    url: `/api/v1/rewards/${n.reward}/write-offs`,
    as: w.clerkA,
    headers: { 'idempotency-key': idemKey() },
    payload: { quantity: 1, reason: '包装破损' },
  },
  201,
)

// Ledger: the adjustment reversed.
await ok(
  {
    method: 'POST',
    url: `/api/v1/ledger/transactions/${n.transaction}/reverse`,
    as: w.secretaryA,
    headers: { 'idempotency-key': idemKey() },
    payload: { reason: '补录有误' },
  },
  201,
)

// Members: a 双报到 registration accepted, a team member, a unit and a login made, a role granted.
const registration = await ok(
  {
    method: 'POST',
    url: `/api/v1/members/${w.memberA.memberId}/registrations`,
    as: w.memberA.userId,
    payload: { orgUnitId: w.communityB },
  },
  201,
)
const communityBSecretary = await createUser(t.db, { grants: [['secretary', w.communityB]] })
await ok({ method: 'POST', url: `/api/v1/registrations/${registration.id}/accept`, as: communityBSecretary })
await ok(
  {
    method: 'POST',
    url: `/api/v1/teams/${seeded.ids.teams![0]}/members`,
    as: w.secretaryA,
    payload: { memberId: w.memberA.memberId },
  },
  201,
)
const unit = await ok(
  {
    method: 'POST',
    url: '/api/v1/org-units',
    as: w.secretaryA,
    payload: { parentId: w.branchA, kind: 'grid', name: '第九网格' },
  },
  201,
)
const user = await ok(
  {
    method: 'POST',
    url: '/api/v1/users',
    as: w.secretaryA,
    payload: { username: `grid-${Date.now()}`, password: 'a-long-enough-password' },
  },
  201,
)
await ok(
  {
    method: 'POST',
    url: `/api/v1/users/${user.id}/roles`,
    as: w.secretaryA,
    payload: { role: 'grid_worker', orgUnitId: unit.id },
  },
  201,
)

// Residents (群众, issue 18): one with a login, and an invitation code of their community, revoked.
const resident = await ok(
  {
    method: 'POST',
    url: '/api/v1/residents',
    as: w.admin,
    payload: {
      orgUnitId: w.communityA,
      name: '王秀兰',
      username: `resident-${Date.now()}`,
      password: 'a-long-enough-password',
    },
  },
  201,
)
const invitation = await ok(
  { method: 'POST', url: '/api/v1/resident-invitations', as: w.admin, payload: { orgUnitId: w.communityA } },
  201,
)
await ok({ method: 'POST', url: `/api/v1/resident-invitations/${invitation.id}/revoke`, as: w.admin })

// Events (issue 20): a webhook of branch A (a documentation address: never called, no worker runs here).
const webhook = await ok(
  {
    method: 'POST',
    url: '/api/v1/webhooks',
    as: w.admin,
    payload: { orgUnitId: w.branchA, url: 'https://203.0.113.10/hook', eventTypes: ['points.posted'] },
  },
  201,
)
// One event of branch A queued to it, so its deliveries list shows a delivery's instants.
await ok(
  {
    method: 'POST',
    url: '/api/v1/ledger/adjustments',
    as: w.secretaryA,
    headers: { 'idempotency-key': idemKey() },
    payload: { memberId: w.memberA.memberId, amount: '1.00', reason: '时间格式' },
  },
  201,
)
const feed = await ok({
  method: 'GET',
  url: '/api/v1/events?types=points.posted&limit=200',
  as: w.memberA.userId,
})
const posted = (feed.items as { id: string }[]).at(-1)!
await ok(
  { method: 'POST', url: `/api/v1/webhooks/${webhook.id}/events/${posted.id}/redeliver`, as: w.admin },
  202,
)

// An activity of branch A still taking sign-ups, so listOpenActivities shows member A one.
const signUpStarts = Date.now() + 48 * 3_600_000
await ok(
  {
    method: 'POST',
    url: '/api/v1/activities',
    as: w.admin,
    payload: {
      orgUnitId: w.branchA,
      title: '报名中的活动',
      startsAt: new Date(signUpStarts).toISOString(),
      endsAt: new Date(signUpStarts + 7_200_000).toISOString(),
    },
  },
  201,
)

// Then every GET operation of the served document, as the first actor it answers 200 (JSON, and CSV where offered).
interface Operation {
  operationId: string
  parameters?: { name: string; in: string; required?: boolean }[]
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>
}
const doc = base.app.swagger() as unknown as {
  paths: Record<string, Record<string, Operation>>
  components: { schemas?: Record<string, unknown> }
}
const ID_BY_SEGMENT: Record<string, string | undefined> = {
  users: user.id,
  'org-units': w.branchA,
  members: w.memberA.memberId,
  teams: seeded.ids.teams![0],
  activities: seeded.ids.activities![0],
  'service-requests': n.completedRequest,
  'service-certificates': seeded.ids.codes![0],
  rubrics: n.rubric,
  claims: n.claim,
  'scoring-rounds': n.round,
  objections: objection.id,
  transactions: n.transaction,
  rewards: n.reward,
  redemptions: n.redemption,
  residents: resident.id,
  webhooks: webhook.id,
}
const ID_BY_NAME: Record<string, string | undefined> = {
  memberId: w.memberA.memberId,
  claimId: n.claim,
  certificateId: seeded.ids.certificates![0],
  verificationCode: seeded.ids.codes![0],
}
const QUERY: Record<string, string> = {
  orgUnitId: w.branchA,
  year: String(thisYear()),
  memberId: w.memberA.memberId,
  roundId: n.round!,
}
/** Where the objects of an operation live elsewhere than branch A: redemptions are the community office's. */
const QUERY_OF: Record<string, Record<string, string>> = {
  listRedemptions: { orgUnitId: w.communityA },
  listResidents: { orgUnitId: w.communityA },
  listResidentInvitations: { orgUnitId: w.communityA },
  // The counter's lookup: community A's office, member A by name.
  findMembersAtCounter: { orgUnitId: w.communityA, q: '张三' },
}
const ACTORS = [w.admin, w.secretaryA, w.clerkA, w.memberA.userId]

/** Does a response schema hold a date-time string anywhere (following $refs)? */
function declaresDateTime(schema: unknown, depth = 0): boolean {
  if (!schema || typeof schema !== 'object' || depth > 20) return false
  const s = schema as Record<string, unknown>
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop()!
    return declaresDateTime(doc.components.schemas?.[name], depth + 1)
  }
  if (s.format === 'date-time') return true
  return Object.values(s).some((v) =>
    Array.isArray(v) ? v.some((x) => declaresDateTime(x, depth + 1)) : declaresDateTime(v, depth + 1),
  )
}

const gets: { operationId: string; url: string; csv: boolean; dated: boolean }[] = []
for (const [path, item] of Object.entries(doc.paths)) {
  const op = item.get
  if (!op) continue
  const segments = path.split('/')
  const url = segments
    .map((seg, i) => {
      const m = /^\{(.+)\}$/.exec(seg)
      if (!m) return seg
      const id = ID_BY_NAME[m[1]!] ?? ID_BY_SEGMENT[segments[i - 1]!]
      if (!id) throw new Error(`no id for ${m[1]} in ${path}: add one to this test`)
      return encodeURIComponent(id)
    })
    .join('/')
  const values = { ...QUERY, ...QUERY_OF[op.operationId] }
  const query = (op.parameters ?? [])
    .filter((p) => p.in === 'query' && values[p.name])
    .map((p) => `${p.name}=${encodeURIComponent(values[p.name]!)}`)
  const content = op.responses['200']?.content ?? {}
  // answers that are documents, not data (the certificate PDF prints its times for people)
  if (!('application/json' in content) && !('text/csv' in content)) continue
  gets.push({
    operationId: op.operationId,
    url: query.length ? `${url}?${query.join('&')}` : url,
    csv: 'text/csv' in content,
    dated: Object.values(content).some((c) => declaresDateTime(c.schema)),
  })
}

const answered = new Map<string, unknown[]>()
for (const g of gets) {
  for (const accept of g.csv ? ['application/json', 'text/csv'] : ['application/json']) {
    for (const as of ACTORS) {
      const res = await t.call({ method: 'GET', url: g.url, as, headers: { accept } })
      if (res.statusCode !== 200) continue
      const last = seen[seen.length - 1]!
      answered.set(g.operationId, [...(answered.get(g.operationId) ?? []), last.body])
      // an actor whose scope holds none of the objects may answer an empty page: try the next one then
      if (instants(last.body).length > 0) break
    }
  }
}

describe('one format for every instant the API answers (issue 17)', () => {
  it('walked every resource and read every GET operation', () => {
    expect(seen.length).toBeGreaterThan(80)
    const unanswered = gets.filter((g) => !answered.has(g.operationId)).map((g) => g.operationId)
    expect(unanswered).toEqual([])
  })

  it('every timestamp anywhere in any answer is RFC 3339 in the service zone with three fraction digits', () => {
    const bad = seen.flatMap(({ where, body }) =>
      instants(body)
        .filter((x) => !ONE_FORMAT.test(x.value) || !x.value.endsWith(SERVICE_OFFSET))
        .map((x) => `${where} ${x.path} = ${x.value}`),
    )
    expect(bad).toEqual([])
    expect(seen.flatMap(({ body }) => instants(body)).length).toBeGreaterThan(300)
  })

  it('every GET operation that declares a date-time showed at least one (so the walk reached it)', () => {
    const blind = gets
      .filter((g) => g.dated)
      .filter((g) => (answered.get(g.operationId) ?? []).every((body) => instants(body).length === 0))
      .map((g) => g.operationId)
    expect(blind).toEqual([])
  })

  it('the timestamps of one resource agree with each other and with the clock', () => {
    // closedAt is a real instant: within a minute of now, written in the service zone
    const closedAt = Date.parse(closed.closedAt)
    expect(Math.abs(closedAt - Date.now())).toBeLessThan(10 * 60_000)
    expect(closed.closedAt).toMatch(ONE_FORMAT)
    expect(Date.parse(closed.publicityEndsAt)).toBeGreaterThan(closedAt)
  })

  it('a refusal that names a time states it in the service zone, as the resource does', () => {
    expect(tooEarly.statusCode).toBe(409)
    expect(tooEarly.json().detail).toBe(`publicity runs until ${closed.publicityEndsAt}`)
    expect(closed.publicityEndsAt).toMatch(/T00:00:00\.000\+08:00$/) // the end of a local day
  })
})
