import Type, { type Static } from 'typebox'
import { DELIVERY_STATUSES, WEBHOOK_STATUSES } from '../../db/schema/events'
import { Body, Cursor, DateTime, Id, Int32, MAX_PAGE, Page, PageQuery, Text } from '../../shared/schemas'
import { EVENT_TYPES } from './types'

export const EventTypeName = Type.Unsafe<(typeof EVENT_TYPES)[number]>({
  type: 'string',
  enum: [...EVENT_TYPES],
  description: 'An event type (README, "Events")',
})

const Subject = Type.Object({
  type: Text(40, {
    description: 'What the event is about: member, scoring_round, objection, redemption ...',
  }),
  id: Id,
})

export const Event = Type.Object(
  {
    id: { ...Id, description: "Time-ordered; the consumer's dedupe key (a webhook's webhook-id header)" },
    type: Text(60, { description: 'The event type (README, "Events")' }),
    occurredAt: DateTime,
    orgUnitId: { ...Id, description: 'Where it happened: webhooks on this unit or above receive it' },
    subject: Subject,
    data: Type.Object(
      {},
      { additionalProperties: true, description: 'What a client needs, by type (README)' },
    ),
  },
  { description: 'One event: the body of a webhook delivery and an item of the pull feed' },
)

export const ListEventsQuery = Type.Object({
  after: Type.Optional({
    ...Cursor,
    description: 'The nextCursor of the previous page (opaque); absent: from the oldest event',
  }),
  types: Type.Optional(
    Text(1000, {
      pattern: '^[a-z_.,]*$',
      description: 'Comma-separated event types; absent: every type',
    }),
  ),
  limit: Type.Optional(Int32(1, MAX_PAGE, { default: 50 })),
})
export type ListEventsQuery = Static<typeof ListEventsQuery>

export const EventPage = Type.Object({
  items: Type.Array(Event, { maxItems: MAX_PAGE }),
  nextCursor: {
    ...Cursor,
    description:
      'Always given: pass it as `after` to read on (an empty page means nothing newer yet; keep the cursor and ask again later)',
  },
})

const WebhookUrl = Type.String({
  format: 'uri',
  maxLength: 2000,
  pattern: '^https?://',
  description:
    'http(s) URL receiving POSTs; one resolving to a loopback, private or link-local address is refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set',
})
const EventTypes = Type.Array(EventTypeName, { minItems: 1, maxItems: 50, uniqueItems: true })
const Description = Type.Union([Text(500), Type.Null()])

export const CreateWebhookBody = Body({
  orgUnitId: { ...Id, description: 'Events of this unit and its subtree are delivered' },
  url: WebhookUrl,
  eventTypes: EventTypes,
  description: Type.Optional(Description),
})
export type CreateWebhookBody = Static<typeof CreateWebhookBody>

export const UpdateWebhookBody = Body({
  url: Type.Optional(WebhookUrl),
  eventTypes: Type.Optional(EventTypes),
  description: Type.Optional(Description),
  status: Type.Optional(
    Type.Unsafe<(typeof WEBHOOK_STATUSES)[number]>({
      type: 'string',
      enum: [...WEBHOOK_STATUSES],
      description: 'paused: deliveries wait; active again: what waited is delivered, in order',
    }),
  ),
})
export type UpdateWebhookBody = Static<typeof UpdateWebhookBody>

export const Webhook = Type.Object({
  id: Id,
  orgUnitId: Id,
  url: Type.String({ maxLength: 2000 }),
  description: Description,
  eventTypes: Type.Array(Text(60), { maxItems: 50 }),
  status: Type.Unsafe<(typeof WEBHOOK_STATUSES)[number]>({ type: 'string', enum: [...WEBHOOK_STATUSES] }),
  pausedReason: Type.Union([Text(500), Type.Null()], {
    description: 'Why the service paused it (repeated failures); null when active or paused by staff',
  }),
  consecutiveFailures: Int32(0, 2_147_483_647, { description: 'Deliveries failed for good in a row' }),
  createdAt: DateTime,
  updatedAt: DateTime,
})

export const WebhookWithSecret = Type.Object({
  ...Webhook.properties,
  secret: Type.String({
    pattern: '^whsec_[A-Za-z0-9+/=]+$',
    maxLength: 100,
    description:
      'The signing secret (Standard Webhooks whsec_ form): shown only in this answer, keep it; rotateWebhookSecret makes a new one',
  }),
})

export const WebhookPage = Page(Webhook)

export const ListWebhooksQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  status: Type.Optional(
    Type.Unsafe<(typeof WEBHOOK_STATUSES)[number]>({ type: 'string', enum: [...WEBHOOK_STATUSES] }),
  ),
  ...PageQuery,
})
export type ListWebhooksQuery = Static<typeof ListWebhooksQuery>

const DeliveryStatusName = Type.Unsafe<(typeof DELIVERY_STATUSES)[number]>({
  type: 'string',
  enum: [...DELIVERY_STATUSES],
})

export const ListDeliveriesQuery = Type.Object({
  status: Type.Optional(DeliveryStatusName),
  eventId: Type.Optional(Id),
  ...PageQuery,
})
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuery>

const Attempt = Type.Object({
  attempt: Int32(1, 2_147_483_647),
  at: DateTime,
  durationMs: Int32(0, 2_147_483_647),
  statusCode: Type.Union([Int32(0, 999), Type.Null()], {
    description: 'null: no answer (refused, timed out)',
  }),
  error: Type.Union([Text(500), Type.Null()]),
})

export const Delivery = Type.Object({
  id: Id,
  eventId: Id,
  eventType: Text(60),
  subject: Subject,
  status: DeliveryStatusName,
  attempts: Int32(0, 2_147_483_647),
  nextAttemptAt: Type.Union([DateTime, Type.Null()], {
    description: 'When a pending delivery is tried next (null once delivered or failed)',
  }),
  firstAttemptAt: Type.Union([DateTime, Type.Null()]),
  lastAttemptAt: Type.Union([DateTime, Type.Null()]),
  lastStatusCode: Type.Union([Int32(0, 999), Type.Null()]),
  lastError: Type.Union([Text(500), Type.Null()]),
  deliveredAt: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime,
  attemptLog: Type.Array(Attempt, {
    maxItems: 100,
    description: 'Every attempt (the last 100), oldest first',
  }),
})

export const DeliveryPage = Page(Delivery)

export const RedeliverParams = Type.Object({ id: Id, eventId: Id })
