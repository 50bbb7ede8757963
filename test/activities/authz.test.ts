import { beforeAll, expect } from 'vitest'
import {
  createPastActivity,
  createRequest,
  recordHours,
  type StepName,
  step,
  verifiedActivity,
} from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  ACTORS,
  type Actor,
  type AuthzContext,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
} from '../helpers/authz'
import { uniq } from '../helpers/factories'

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

/** Secretaries and grid workers over branch A may; the same roles elsewhere get 404; other roles 403. */
const staff = (ok: number, cells: Partial<Record<Actor, number>> = {}) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'gridWorker'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling'],
    cells,
  })

/**
 * Community C accepted member A's 双报到 registration: its staff see the hours the member served and certify them
 * (the issuing unit may be any community the member serves), as the national record rules allow.
 */
const staffAndRegistered = (ok: number, cells: Partial<Record<Actor, number>> = {}) =>
  staff(ok, { secretaryRegistered: ok, gridWorkerRegistered: ok, ...cells })

/** Steps only member A (the one a request went to) may take: staff over it 403, everyone else 404. */
const dispatchedMember = (ok: number) =>
  expectStatuses({
    ok,
    allowed: ['member'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling', 'memberSibling'],
  })

/** A request at branch A brought to a state by way of member A (the admin does the staff steps). */
async function requestAt({ t, w }: AuthzContext, steps: StepName[]): Promise<string> {
  const id = await createRequest(t, w.admin, w.branchA)
  for (const name of steps) {
    const as = ['accept', 'complete', 'decline'].includes(name) ? w.memberA.userId : w.admin
    const res = await step(
      t,
      as,
      id,
      name,
      name === 'dispatch' ? { memberId: w.memberA.memberId } : undefined,
    )
    expect(res.statusCode, res.body).toBe(200)
  }
  return id
}

const stepRequest = (name: StepName, id: string, payload?: Record<string, unknown>) => {
  const defaults: Partial<Record<StepName, Record<string, unknown>>> = {
    dispatch: { memberId: w.memberA.memberId },
    decline: { reason: '没空' },
    complete: { hours: '1.00', note: '已完成' },
    confirm: { rating: 4 },
    cancel: { reason: '重复登记' },
  }
  const body = payload ?? defaults[name]
  return {
    method: 'POST' as const,
    url: `/api/v1/service-requests/${id}/${name}`,
    ...(body ? { payload: body } : {}),
  }
}

const rows: AuthzRow[] = [
  {
    operation: 'createActivity',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/activities',
      payload: {
        orgUnitId: w.branchA,
        title: uniq('活动'),
        startsAt: '2026-03-01T01:00:00Z',
        endsAt: '2026-03-01T03:00:00Z',
      },
    }),
    expect: staff(201),
  },
  {
    operation: 'listActivities',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/activities?orgUnitId=${w.branchA}` }),
    expect: staff(200),
  },
  {
    operation: 'getActivity',
    request: async (ctx) => ({
      method: 'GET',
      url: `/api/v1/activities/${await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)}`,
    }),
    expect: staff(200),
  },
  {
    operation: 'recordParticipation',
    request: async (ctx) => ({
      method: 'PUT',
      url: `/api/v1/activities/${await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)}/participants/${ctx.w.memberA.memberId}`,
      payload: { hours: '1.00' },
    }),
    expect: staff(201),
  },
  {
    operation: 'removeParticipation',
    request: async (ctx) => {
      const id = await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)
      await recordHours(ctx.t, ctx.w.admin, id, ctx.w.memberA.memberId, '1.00')
      return { method: 'DELETE', url: `/api/v1/activities/${id}/participants/${ctx.w.memberA.memberId}` }
    },
    expect: staff(204),
  },
  {
    operation: 'verifyActivity',
    request: async (ctx) => {
      const id = await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)
      await recordHours(ctx.t, ctx.w.admin, id, ctx.w.memberA.memberId, '1.00')
      return { method: 'POST', url: `/api/v1/activities/${id}/verify` }
    },
    expect: staff(200),
  },
  {
    operation: 'getServiceHours',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/service-hours` }),
    // The member reads their own; another member is told nothing (404); panelist and clerk have no such role.
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
  },
  {
    // The file twin of getServiceHours: the same callers.
    operation: 'exportServiceHoursCsv',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/service-hours.csv` }),
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
    check: (res) => {
      if (res.statusCode === 200)
        expect(res.body).toMatch(/^\uFEFFdate,source,sourceId,title,orgUnitId,hours\r\n/)
    },
  },
  {
    operation: 'createServiceRequest',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/service-requests',
      payload: {
        orgUnitId: w.branchA,
        requesterName: '刘大爷',
        title: '修水管',
        description: '厨房水管漏水',
      },
    }),
    expect: staff(201),
  },
  {
    operation: 'listServiceRequests',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/service-requests?orgUnitId=${w.branchA}` }),
    // Members list the requests dispatched to them (possibly none).
    expect: staff(200, { member: 200, memberSibling: 200 }),
  },
  {
    operation: 'getServiceRequest',
    request: async (ctx) => ({ method: 'GET', url: `/api/v1/service-requests/${await requestAt(ctx, [])}` }),
    expect: staff(200, { member: 404, memberSibling: 404 }),
  },
  {
    operation: 'dispatchServiceRequest',
    request: async (ctx) => stepRequest('dispatch', await requestAt(ctx, [])),
    expect: staff(200),
  },
  {
    operation: 'acceptServiceRequest',
    request: async (ctx) => stepRequest('accept', await requestAt(ctx, ['dispatch'])),
    expect: dispatchedMember(200),
  },
  {
    operation: 'declineServiceRequest',
    request: async (ctx) => stepRequest('decline', await requestAt(ctx, ['dispatch'])),
    expect: dispatchedMember(200),
  },
  {
    operation: 'completeServiceRequest',
    request: async (ctx) => stepRequest('complete', await requestAt(ctx, ['dispatch', 'accept'])),
    expect: dispatchedMember(200),
  },
  {
    operation: 'cancelServiceRequest',
    request: async (ctx) => stepRequest('cancel', await requestAt(ctx, [])),
    expect: staff(200),
  },
  {
    operation: 'confirmServiceRequest',
    request: async (ctx) => stepRequest('confirm', await requestAt(ctx, ['dispatch', 'accept', 'complete'])),
    expect: staff(200),
  },
  {
    operation: 'issueServiceCertificate',
    request: ({ w }) => ({
      method: 'POST',
      url: `/api/v1/members/${w.memberA.memberId}/service-certificates`,
      headers: { 'idempotency-key': uniq('k') },
      payload: { from: '2026-01-01', to: '2026-12-31' },
    }),
    expect: staffAndRegistered(201),
  },
  {
    operation: 'listServiceCertificates',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/members/${w.memberA.memberId}/service-certificates`,
    }),
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
  },
  {
    operation: 'getServiceCertificate',
    request: async (ctx) => {
      const issued = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2026-12-31' },
      })
      return {
        method: 'GET',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates/${issued.json().id}`,
      }
    },
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
  },
  {
    // The PDF twin of getServiceCertificate: the same callers.
    operation: 'getServiceCertificatePdf',
    request: async (ctx) => {
      const issued = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2026-12-31' },
      })
      return {
        method: 'GET',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates/${issued.json().id}.pdf`,
      }
    },
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
    check: (res) => {
      if (res.statusCode !== 200) return
      expect(res.headers['content-type']).toBe('application/pdf')
      expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    },
  },
  {
    operation: 'verifyServiceCertificate',
    request: async (ctx) => {
      await verifiedActivity(ctx.t, ctx.w.admin, ctx.w.branchA, [[ctx.w.memberA.memberId, '1.00']])
      const issued = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2099-12-31' },
      })
      return { method: 'GET', url: `/api/v1/service-certificates/${issued.json().verificationCode}` }
    },
    expect: Object.fromEntries(ACTORS.map((a) => [a, 200])) as Record<Actor, number>,
  },
]

runAuthzMatrix('activities, hours, service requests and certificates', () => ({ t, w }), rows)
