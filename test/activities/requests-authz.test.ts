import { beforeAll, expect } from 'vitest'
import { createRequest, type StepName, step } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type Actor,
  type AuthzContext,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
  signedIn,
} from '../helpers/authz'

/**
 * Service requests (群众点单): staff key in, dispatch, publish and cancel; the member a request went to (or who took
 * it off the board) does the work; the resident who placed it follows and rates it. Every row names the resident
 * (a resident of community A, above the target branch A).
 */

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
    cells: { resident: 403, ...cells },
  })

/** Steps only member A (the one a request went to) may take: staff over it 403, everyone else 404. */
const dispatchedMember = (ok: number) =>
  expectStatuses({
    ok,
    allowed: ['member'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling', 'memberSibling'],
    cells: { resident: 403 },
  })

type Step = StepName | 'publish' | 'take'

/** A request at branch A brought to a state by way of member A (the admin does the staff steps). */
async function requestAt({ t, w }: AuthzContext, steps: Step[]): Promise<string> {
  const id = await createRequest(t, w.admin, w.branchA)
  await walk(t, w, id, steps)
  return id
}

/** A request resident A placed themself at community A, brought to a state by way of member A. */
async function residentsRequestAt({ t, w }: AuthzContext, steps: Step[]): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/service-requests',
    as: w.residentA.userId,
    payload: { title: '换灯泡', description: '厨房灯不亮' },
  })
  expect(res.statusCode, res.body).toBe(201)
  await walk(t, w, res.json().id, steps)
  return res.json().id
}

async function walk(t: TestApp, w: AuthzWorld, id: string, steps: Step[]) {
  for (const name of steps) {
    const as = ['accept', 'complete', 'decline', 'take'].includes(name) ? w.memberA.userId : w.admin
    const res =
      name === 'publish' || name === 'take'
        ? await t.call({ method: 'POST', url: `/api/v1/service-requests/${id}/${name}`, as })
        : await step(t, as, id, name, name === 'dispatch' ? { memberId: w.memberA.memberId } : undefined)
    expect(res.statusCode, `${name}: ${res.body}`).toBe(200)
  }
}

const stepRequest = (name: string, id: string, payload?: Record<string, unknown>) => {
  const defaults: Record<string, Record<string, unknown>> = {
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
    operation: 'createServiceRequest',
    // A resident orders for themself, at their community, under their own name: no unit or requester given.
    request: ({ w }, actor) => ({
      method: 'POST',
      url: '/api/v1/service-requests',
      payload:
        actor === 'resident'
          ? { title: '修水管', description: '厨房水管漏水', kind: 'service' }
          : { orgUnitId: w.branchA, requesterName: '刘大爷', title: '修水管', description: '厨房水管漏水' },
    }),
    expect: staff(201, { resident: 201 }),
  },
  {
    operation: 'listServiceRequests',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/service-requests?orgUnitId=${w.branchA}` }),
    // Members list the requests dispatched to them (possibly none); residents have listMyServiceRequests.
    expect: staff(200, { member: 200, memberSibling: 200 }),
  },
  {
    operation: 'listMyServiceRequests',
    request: () => ({ method: 'GET', url: '/api/v1/me/service-requests' }),
    // A resident's own requests, a member's work; staff without a member record have none.
    expect: { ...signedIn(403), member: 200, memberSibling: 200, resident: 200 },
  },
  {
    operation: 'getServiceRequest',
    request: async (ctx) => ({ method: 'GET', url: `/api/v1/service-requests/${await requestAt(ctx, [])}` }),
    // Not theirs: members and the resident (who did not place it) are told nothing.
    expect: staff(200, { member: 404, memberSibling: 404, resident: 404 }),
  },
  {
    operation: 'listServiceRequestBoard',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/service-requests/board?orgUnitId=${w.branchA}` }),
    // Member A serves at branch A, member B does not; residents and staff without a staff role have no board.
    expect: staff(200, { member: 200, memberSibling: 404 }),
  },
  {
    operation: 'dispatchServiceRequest',
    request: async (ctx) => stepRequest('dispatch', await requestAt(ctx, [])),
    expect: staff(200),
  },
  {
    operation: 'publishServiceRequest',
    request: async (ctx) => stepRequest('publish', await requestAt(ctx, [])),
    expect: staff(200),
  },
  {
    operation: 'unpublishServiceRequest',
    request: async (ctx) => stepRequest('unpublish', await requestAt(ctx, ['publish'])),
    expect: staff(200),
  },
  {
    operation: 'takeServiceRequest',
    request: async (ctx) => stepRequest('take', await requestAt(ctx, ['publish'])),
    // Any member who may serve at branch A: member A; member B serves elsewhere (404); no member record: 403.
    expect: expectStatuses({
      ok: 200,
      allowed: ['member'],
      outside: ['memberSibling'],
      cells: { resident: 403 },
    }),
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
    // The resident rates the request they placed; staff rate one keyed in at branch A.
    request: async (ctx, actor) =>
      stepRequest(
        'confirm',
        actor === 'resident'
          ? await residentsRequestAt(ctx, ['publish', 'take', 'complete'])
          : await requestAt(ctx, ['dispatch', 'accept', 'complete']),
      ),
    expect: staff(200, { resident: 200 }),
  },
]

runAuthzMatrix('service requests', () => ({ t, w }), rows)
