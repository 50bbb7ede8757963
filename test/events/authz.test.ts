import { beforeAll, expect } from 'vitest'
import { transaction } from '../../src/db/client'
import { recordEvent } from '../../src/modules/events'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
  signedIn,
} from '../helpers/authz'

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  // No worker: the matrix only decides who may; the URL is never called.
  t = await buildTestApp({ webhookAllowPrivateNetworks: true })
  w = await createAuthzWorld(t.db)
})

const URL = 'http://127.0.0.1:9/hook'

/**
 * Webhooks are managed by admins and secretaries over the unit (a secretary below it or of a sibling: 404, as
 * for a webhook that does not exist; every other role 403). The feed is read by every member (their own events)
 * and every staff role (their subtrees); residents, who are no members, get 403.
 */
const managers = (ok: number) => ({
  ...expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES }),
  resident: 403,
})

/** A fresh webhook on branch A for each cell, made by the admin. */
async function hook(): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/webhooks',
    as: w.admin,
    payload: { orgUnitId: w.branchA, url: URL, eventTypes: ['points.posted'] },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

const rows: AuthzRow[] = [
  {
    operation: 'listEvents',
    request: () => ({ method: 'GET', url: '/api/v1/events' }),
    expect: { ...signedIn(200), resident: 403 },
  },
  {
    operation: 'createWebhook',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { orgUnitId: w.branchA, url: URL, eventTypes: ['points.posted'] },
    }),
    expect: managers(201),
    check: (res) => {
      if (res.statusCode === 201) expect(res.json().secret).toMatch(/^whsec_/)
    },
  },
  {
    operation: 'listWebhooks',
    request: () => ({ method: 'GET', url: '/api/v1/webhooks' }),
    // Every secretary lists the webhooks of their own subtrees.
    expect: {
      ...managers(200),
      secretaryChild: 200,
      secretarySibling: 200,
      secretaryRegistered: 200,
    },
  },
  {
    operation: 'getWebhook',
    request: async () => ({ method: 'GET', url: `/api/v1/webhooks/${await hook()}` }),
    expect: managers(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.json()).not.toHaveProperty('secret')
    },
  },
  {
    operation: 'updateWebhook',
    request: async () => ({
      method: 'PATCH',
      url: `/api/v1/webhooks/${await hook()}`,
      payload: { status: 'paused' },
    }),
    expect: managers(200),
  },
  {
    operation: 'deleteWebhook',
    request: async () => ({ method: 'DELETE', url: `/api/v1/webhooks/${await hook()}` }),
    expect: managers(204),
  },
  {
    operation: 'rotateWebhookSecret',
    request: async () => ({ method: 'POST', url: `/api/v1/webhooks/${await hook()}/rotate-secret` }),
    expect: managers(200),
  },
  {
    operation: 'listWebhookDeliveries',
    request: async () => ({ method: 'GET', url: `/api/v1/webhooks/${await hook()}/deliveries` }),
    expect: managers(200),
  },
  {
    operation: 'redeliverWebhookEvent',
    request: async ({ w }) => {
      const id = await hook()
      const eventId = await transaction(t.db, (tx) =>
        recordEvent(tx, {
          type: 'points.posted',
          orgUnitId: w.branchA,
          subject: { type: 'member', id: w.memberA.memberId },
          memberId: w.memberA.memberId,
          data: { amount: '1.00' },
        }),
      )
      return { method: 'POST', url: `/api/v1/webhooks/${id}/events/${eventId}/redeliver` }
    },
    expect: managers(202),
  },
]

runAuthzMatrix('authorisation matrix: events and webhooks', () => ({ t, w }), rows)
