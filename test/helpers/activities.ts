import { sql } from 'drizzle-orm'
import { expect } from 'vitest'
import { type Db, one } from '../../src/db/client'
import type { TestApp } from './app'

/** Test helpers for activities, hours and service requests, driving the real routes. */

const HOUR = 3_600_000

/** An activity that ended an hour ago and lasted `hours` (default 3). */
export async function createPastActivity(
  t: TestApp,
  as: string,
  orgUnitId: string,
  opts: { hours?: number; title?: string; rubricItemCode?: string; startsAt?: string } = {},
): Promise<string> {
  const length = opts.hours ?? 3
  const startsAt = opts.startsAt ? new Date(opts.startsAt) : new Date(Date.now() - (length + 1) * HOUR)
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as,
    payload: {
      orgUnitId,
      title: opts.title ?? '社区清洁志愿活动',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + length * HOUR).toISOString(),
      ...(opts.rubricItemCode ? { rubricItemCode: opts.rubricItemCode } : {}),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

export async function recordHours(
  t: TestApp,
  as: string,
  activityId: string,
  memberId: string,
  hours: unknown,
) {
  return t.call({
    method: 'PUT',
    url: `/api/v1/activities/${activityId}/participants/${memberId}`,
    as,
    payload: { hours },
  })
}

export async function verify(t: TestApp, as: string, activityId: string) {
  return t.call({ method: 'POST', url: `/api/v1/activities/${activityId}/verify`, as })
}

/** A verified activity in which each member served the given hours. */
export async function verifiedActivity(
  t: TestApp,
  as: string,
  orgUnitId: string,
  hours: [memberId: string, hours: string][],
  opts: { length?: number; startsAt?: string } = {},
): Promise<string> {
  const id = await createPastActivity(t, as, orgUnitId, { hours: opts.length, startsAt: opts.startsAt })
  for (const [memberId, h] of hours) {
    const res = await recordHours(t, as, id, memberId, h)
    expect(res.statusCode, res.body).toBe(201)
  }
  const res = await verify(t, as, id)
  expect(res.statusCode, res.body).toBe(200)
  return id
}

export async function createRequest(t: TestApp, as: string, orgUnitId: string): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/service-requests',
    as,
    payload: {
      orgUnitId,
      requesterName: '王阿姨',
      requesterContact: '13800001111',
      title: '代购药品',
      description: '行动不便，请帮忙去药店买降压药',
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

export type StepName = 'dispatch' | 'accept' | 'decline' | 'complete' | 'confirm' | 'cancel'

export function step(t: TestApp, as: string, id: string, name: StepName, payload?: Record<string, unknown>) {
  const defaults: Record<StepName, Record<string, unknown> | undefined> = {
    dispatch: undefined,
    accept: undefined,
    decline: { reason: '这周出差' },
    complete: { hours: '1.50', note: '已送达' },
    confirm: { rating: 5, feedback: '很及时' },
    cancel: { reason: '居民已自行解决' },
  }
  const body = payload ?? defaults[name]
  return t.call({
    method: 'POST',
    url: `/api/v1/service-requests/${id}/${name}`,
    as,
    ...(body ? { payload: body } : {}),
  })
}

export async function requestStatus(db: Db, id: string): Promise<string> {
  const row = await one<{ status: string }>(db, sql`select status from service_requests where id = ${id}`)
  return row!.status
}

export async function auditCount(db: Db, targetId: string, action?: string): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from audit_events where target_id = ${targetId}
        and (${action ?? null}::text is null or action = ${action ?? null})`,
  )
  return Number(row!.n)
}
