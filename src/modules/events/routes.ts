import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, NoContent, problems } from '../../shared/schemas'
import { listEvents } from './feed'
import {
  CreateWebhookBody,
  Delivery,
  DeliveryPage,
  EventPage,
  ListDeliveriesQuery,
  ListEventsQuery,
  ListWebhooksQuery,
  RedeliverParams,
  UpdateWebhookBody,
  Webhook,
  WebhookPage,
  WebhookWithSecret,
} from './schemas'
import * as webhooks from './webhooks'

const tags = ['events']
const MANAGERS_NOTE =
  "Admins and secretaries over the webhook's unit; other roles 403, a webhook outside the caller's scope 404."

export interface EventsRoutesOptions {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: webhook URLs may resolve to loopback, private and link-local addresses. */
  allowPrivateNetworks?: boolean
}

export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (app, opts) => {
  const ctx = () => ({ pii: app.pii, allowPrivateNetworks: opts.allowPrivateNetworks ?? false })

  app.get(
    '/events',
    {
      schema: {
        tags,
        operationId: 'listEvents',
        summary: 'The pull feed: events the caller may see, oldest first, from a cursor',
        description:
          'A member reads the events about themself (points posted, their redemptions, objections, service ' +
          'requests, sign-ups); staff (secretary, panelist, grid worker, clerk, admin) the events of their ' +
          "subtrees. Oldest first; pass the answer's nextCursor as `after` to read on: a client that polls never " +
          'misses or repeats an event, even when transactions commit out of order (an event shows once every ' +
          'transaction older than it has ended, usually within a second). `types` filters by type ' +
          '(comma-separated). The same event bodies as webhook deliveries (README, "Events").',
        querystring: ListEventsQuery,
        response: { 200: EventPage, ...problems(400, 403) },
      },
    },
    async (request) => listEvents(app.db, request.caller, request.query),
  )

  app.post(
    '/webhooks',
    {
      schema: {
        tags,
        operationId: 'createWebhook',
        summary: 'Subscribe a URL to the events of a unit and its subtree (admin, secretary)',
        description:
          "Admins and secretaries over the unit; other roles 403, a unit outside the caller's scope 404. " +
          "Events of the listed types in the unit's subtree, from now on, are POSTed to the URL, signed the " +
          'Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature) with the secret answered ' +
          'here, once: keep it. A URL resolving to a loopback, private or link-local address is 400 unless ' +
          'the service runs with WEBHOOK_ALLOW_PRIVATE_NETWORKS.',
        body: CreateWebhookBody,
        response: { 201: WebhookWithSecret, ...problems(400, 403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await webhooks.createWebhook(app.db, request.caller, request.body, ctx())),
  )

  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        operationId: 'listWebhooks',
        summary: 'The webhooks of the units the caller manages',
        description: `${MANAGERS_NOTE} Filter by orgUnitId (its subtree) and status.`,
        querystring: ListWebhooksQuery,
        response: { 200: WebhookPage, ...problems(400, 403, 404) },
      },
    },
    async (request) => webhooks.listWebhooks(app.db, request.caller, request.query),
  )

  app.get(
    '/webhooks/:id',
    {
      schema: {
        tags,
        operationId: 'getWebhook',
        summary: 'One webhook (never its secret)',
        description: MANAGERS_NOTE,
        params: IdParams,
        response: { 200: Webhook, ...problems(403, 404) },
      },
    },
    async (request) => webhooks.getWebhook(app.db, request.caller, request.params.id),
  )

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        tags,
        operationId: 'updateWebhook',
        summary: 'Change, pause or resume a webhook',
        description:
          `${MANAGERS_NOTE} status paused holds its deliveries; active again delivers what waited, in order, ` +
          'each with a fresh 24 h of retries (also after the service paused it for repeated failures). A new ' +
          'URL is checked as at creation.',
        params: IdParams,
        body: UpdateWebhookBody,
        response: { 200: Webhook, ...problems(400, 403, 404) },
      },
    },
    async (request) => webhooks.updateWebhook(app.db, request.caller, request.params.id, request.body, ctx()),
  )

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags,
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook and its deliveries',
        description: `${MANAGERS_NOTE} Nothing more is delivered to it; the events stay in the feed.`,
        params: IdParams,
        response: { 204: NoContent, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.deleteWebhook(app.db, request.caller, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        operationId: 'rotateWebhookSecret',
        summary: 'A new signing secret for a webhook, shown once',
        description: `${MANAGERS_NOTE} Deliveries from now on are signed with the new secret only.`,
        params: IdParams,
        response: { 200: WebhookWithSecret, ...problems(403, 404) },
      },
    },
    async (request) => webhooks.rotateWebhookSecret(app.db, request.caller, request.params.id, ctx()),
  )

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        operationId: 'listWebhookDeliveries',
        summary: "A webhook's deliveries: attempts, status codes, times and the next retry",
        description:
          `${MANAGERS_NOTE} Newest first. A delivery is pending (nextAttemptAt: when it is tried next), ` +
          'delivered (a 2xx within 10 s) or failed (no 2xx for 24 h of retries with exponential backoff).',
        params: IdParams,
        querystring: ListDeliveriesQuery,
        response: { 200: DeliveryPage, ...problems(400, 403, 404) },
      },
    },
    async (request) =>
      webhooks.listWebhookDeliveries(app.db, request.caller, request.params.id, request.query),
  )

  app.post(
    '/webhooks/:id/events/:eventId/redeliver',
    {
      schema: {
        tags,
        operationId: 'redeliverWebhookEvent',
        summary: 'Deliver an event to a webhook again, now',
        description:
          `${MANAGERS_NOTE} Any event of the webhook's subtree and types, also one from before it existed; ` +
          'another event 404. The delivery becomes pending and due now, with a fresh 24 h of retries.',
        params: RedeliverParams,
        response: { 202: Delivery, ...problems(403, 404) },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await webhooks.redeliverWebhookEvent(
            app.db,
            request.caller,
            request.params.id,
            request.params.eventId,
          ),
        ),
  )
}
