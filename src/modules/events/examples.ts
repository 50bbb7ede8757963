import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of events and webhooks for /docs (see src/plugins/openapi-examples.ts): 石塔社区's office system
// hears of points posted to 张建国.

const webhookId = '0196f3a2-7c41-7b8e-9d20-5e8f1a6c3b47'
const webhook = {
  id: webhookId,
  orgUnitId: EX.unit.community,
  url: 'https://office.shita.example.org/hooks/points',
  description: '社区办公系统：积分到账提醒',
  eventTypes: ['points.posted', 'redemption.reserved', 'redemption.expiring'],
  status: 'active',
  pausedReason: null,
  consecutiveFailures: 0,
  createdAt: '2026-05-06T09:12:00.000+08:00',
  updatedAt: '2026-05-06T09:12:00.000+08:00',
}
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+b4vVcY6UtA='

const pointsEvent = {
  id: '0196f3b8-2e55-7d13-a4c9-0b7e6f1d2a58',
  type: 'points.posted',
  occurredAt: '2026-05-08T16:20:11.482+08:00',
  orgUnitId: EX.unit.branch,
  subject: { type: 'member', id: EX.member.zhang },
  data: {
    transactionId: '0196f3b8-2e50-7a61-8f3e-6c2d9b4a1e07',
    memberId: EX.member.zhang,
    kind: 'award',
    amount: '5.25',
    memo: '学习教育 (STUDY)',
    reason: null,
    reference: { type: 'claim', id: '0196a1c4-55d2-7f08-b1e3-8a9c0d2e4f61' },
    roundId: '0196e0d7-3b19-7c42-9a5e-1f8d6c3b2a90',
    effectiveDate: '2026-04-22',
  },
}

const delivery = {
  id: '0196f3b8-3012-7c5e-8b41-9d6a2f0e1c73',
  eventId: pointsEvent.id,
  eventType: 'points.posted',
  subject: pointsEvent.subject,
  status: 'delivered',
  attempts: 2,
  nextAttemptAt: null,
  firstAttemptAt: '2026-05-08T16:20:12.003+08:00',
  lastAttemptAt: '2026-05-08T16:20:15.114+08:00',
  lastStatusCode: 200,
  lastError: null,
  deliveredAt: '2026-05-08T16:20:15.114+08:00',
  createdAt: '2026-05-08T16:20:11.950+08:00',
  attemptLog: [
    { attempt: 1, at: '2026-05-08T16:20:12.003+08:00', durationMs: 31, statusCode: 503, error: 'HTTP 503' },
    { attempt: 2, at: '2026-05-08T16:20:15.114+08:00', durationMs: 24, statusCode: 200, error: null },
  ],
}

const notFound = { 404: { code: 'not_found' as const, detail: 'webhook not found' } }

export const eventsExamples: OperationExamples = {
  listEvents: {
    description: 'The next events the caller may see, oldest first, and the cursor to read on from',
    response: {
      items: [pointsEvent],
      nextCursor: 'WzE4MjczNjQ1LCIwMTk2ZjNiOC0yZTU1LTdkMTMtYTRjOS0wYjdlNmYxZDJhNTgiXQ',
    },
  },
  createWebhook: {
    description: 'The webhook, with its signing secret: shown only here (and on rotation)',
    request: {
      orgUnitId: EX.unit.community,
      url: webhook.url,
      eventTypes: webhook.eventTypes,
      description: webhook.description,
    },
    response: { ...webhook, secret },
    invalid: { orgUnitId: EX.unit.community, url: webhook.url, eventTypes: ['points.moved'] },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  listWebhooks: {
    description: 'A page of the webhooks of the units the caller manages',
    response: { items: [webhook], nextCursor: null },
  },
  getWebhook: { description: 'The webhook (never its secret)', response: webhook, errors: notFound },
  updateWebhook: {
    description: 'The webhook as changed (here: paused)',
    request: { status: 'paused' },
    response: { ...webhook, status: 'paused', updatedAt: '2026-05-09T08:00:00.000+08:00' },
    invalid: { status: 'stopped' },
    errors: notFound,
  },
  deleteWebhook: { description: 'Deleted, with its deliveries', errors: notFound },
  rotateWebhookSecret: {
    description: 'The webhook with its new secret: shown only here; the old one no longer signs',
    response: { ...webhook, secret: 'whsec_3q2+7wAAAABrZXktcm90YXRlZC1vbi0yMDI2LTA1LTEwAA==' },
    errors: notFound,
  },
  listWebhookDeliveries: {
    description: "A page of the webhook's deliveries, newest first, each with its attempts",
    response: { items: [delivery], nextCursor: null },
    errors: notFound,
  },
  redeliverWebhookEvent: {
    description: 'The delivery, pending and due now',
    response: {
      ...delivery,
      status: 'pending',
      nextAttemptAt: '2026-05-10T10:00:00.000+08:00',
      firstAttemptAt: null,
      deliveredAt: null,
    },
    errors: { 404: { code: 'not_found', detail: 'event not found' } },
  },
}
