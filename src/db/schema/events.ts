import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import * as col from './columns'

/**
 * The transactional outbox (issue 20): one row per thing that happened, written in the same transaction as the
 * change that caused it, so a committed change always has its event and a rolled-back one never does. Append-only
 * (src/db/sql/events.sql). `id` is time-ordered (uuid v7) and is the consumer's dedupe key (webhook-id).
 *
 * Time-ordered ids are taken before commit, so transactions make their events visible out of id order: a reader
 * that resumed after the last id it saw could miss an event committed late with a smaller id. So each event gets a
 * row in event_feed (below) and the dispatcher numbers those in commit order.
 * `txId` (the writing transaction's id) orders events of one dispatch: roughly commit order.
 */
export const events = pgTable(
  'events',
  {
    id: uuid().primaryKey().default(sql`uuid_v7()`),
    txId: bigint({ mode: 'number' }).notNull().default(sql`(pg_current_xact_id()::text::bigint)`),
    type: text().notNull(),
    occurredAt: col.at().notNull().defaultNow(),
    orgUnitId: col.orgUnitId(),
    /** The unit's materialised path, copied so subtree scoping needs no join. */
    orgPath: text().notNull(),
    subjectType: text().notNull(),
    subjectId: uuid().notNull(),
    /** The member the event is about, if any: that member reads it in their own feed. */
    memberId: uuid(),
    data: jsonb().notNull(),
  },
  (t) => [
    // Events that happen once per subject (the notice a day before a redemption's hold lapses): the sweep that
    // writes them may run in every process and again after a crash; this index makes a second one impossible.
    uniqueIndex('events_once_idx').on(t.type, t.subjectId).where(sql`${t.type} in ('redemption.expiring')`),
    check('events_type_chk', sql`${t.type} ~ '^[a-z_]+\\.[a-z_]+$'`),
  ],
)

/**
 * The pull feed's order: one narrow row per event, written with it (a statement trigger on events,
 * src/db/sql/events.sql), numbered later. The dispatcher (one at a time, under the lock of event_dispatch_state)
 * gives each committed event the next `seq`, in its own transactions, in order: a reader of `seq > cursor` never
 * misses or repeats one. An event written by a transaction still running gets its number when it commits, after
 * everything numbered before. The number lives here, not on the event, so that numbering rewrites a row of four
 * columns instead of the event with its payload (a second copy of every event in the WAL, issue 22); the events
 * table is then never updated at all. No foreign key to events: the trigger is the only writer and events are
 * never deleted, and the key check would lock (and log) each event row again.
 */
export const eventFeed = pgTable(
  'event_feed',
  {
    eventId: uuid().primaryKey(),
    txId: bigint({ mode: 'number' }).notNull(),
    /** The member the event is about, if any: that member reads it in their own feed. */
    memberId: uuid(),
    /** The commit-order position the dispatcher gives it (null until then): the pull feed's cursor. */
    seq: bigint({ mode: 'number' }),
  },
  (t) => [
    // The feed's indexes hold numbered events only: the causing transaction writes two index entries per event
    // (the key and the dispatcher's queue), the numbering writes the rest.
    uniqueIndex('event_feed_seq_idx').on(t.seq).where(sql`${t.seq} is not null`),
    index('event_feed_unnumbered_idx').on(t.txId, t.eventId).where(sql`${t.seq} is null`),
    index('event_feed_member_idx')
      .on(t.memberId, t.seq)
      .where(sql`${t.memberId} is not null and ${t.seq} is not null`),
  ],
)

export const WEBHOOK_STATUSES = ['active', 'paused'] as const
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number]

/** A subscription: events of `eventTypes` in the unit's subtree go to `url`, signed with its secret. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid().primaryKey(),
    orgUnitId: col.orgUnitId(),
    orgPath: text().notNull(),
    url: text().notNull(),
    description: text(),
    eventTypes: text().array().notNull(),
    status: text().$type<WebhookStatus>().notNull().default('active'),
    pausedReason: text(),
    /** The signing secret (whsec_...), sealed with the PII keyring (AES-256-GCM, context webhook.secret:<id>). */
    secretSealed: text().notNull(),
    /** Deliveries that failed for good in a row; at the limit the webhook pauses itself. */
    consecutiveFailures: integer().notNull().default(0),
    createdBy: col.optionalUserId(),
    ...col.timestamps(),
  },
  (t) => [
    index('webhooks_org_unit_idx').on(t.orgUnitId),
    check('webhooks_status_chk', col.oneOf(t.status, WEBHOOK_STATUSES)),
    check('webhooks_event_types_chk', sql`cardinality(${t.eventTypes}) > 0`),
    check('webhooks_url_chk', sql`${t.url} ~ '^https?://'`),
  ],
)

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/**
 * One event owed to one webhook. `seq` follows the dispatch order (the feed order), so deliveries about one
 * subject go out in order: one is taken only when no earlier one of its (webhook, subject) is still pending.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid().primaryKey().default(sql`uuid_v7()`),
    seq: bigint({ mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    webhookId: uuid()
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: uuid()
      .notNull()
      .references(() => events.id),
    subjectKey: text().notNull(),
    status: text().$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer().notNull().default(0),
    /** When it may be taken next: due, a retry's time, or the lease of an attempt in flight. */
    nextAttemptAt: col.at().notNull().defaultNow(),
    firstAttemptAt: col.at(),
    lastAttemptAt: col.at(),
    lastStatusCode: smallint(),
    lastError: text(),
    deliveredAt: col.at(),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_webhook_event_idx').on(t.webhookId, t.eventId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_subject_idx')
      .on(t.webhookId, t.subjectKey, t.seq)
      .where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_list_idx').on(t.webhookId, t.seq),
    check('webhook_deliveries_status_chk', col.oneOf(t.status, DELIVERY_STATUSES)),
  ],
)

/** Every attempt of a delivery, kept so listWebhookDeliveries shows the status codes and the backoff. */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    deliveryId: uuid()
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer().notNull(),
    at: timestamp({ withTimezone: true }).notNull(),
    durationMs: integer().notNull(),
    statusCode: smallint(),
    error: text(),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
)

/** The dispatcher's state (one row, locked by the dispatcher): the last event_feed.seq it gave out. */
export const eventDispatchState = pgTable(
  'event_dispatch_state',
  {
    id: smallint().primaryKey(),
    lastSeq: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [check('event_dispatch_state_one_chk', sql`${t.id} = 1`)],
)
