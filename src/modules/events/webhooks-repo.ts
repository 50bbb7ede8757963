import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { DeliveryStatus, WebhookStatus } from '../../db/schema/events'
import { type Caller, pathInScope } from '../../shared/authz'

/** The context a webhook's secret is sealed under: a sealed secret copied to another webhook does not open. */
export function secretContext(webhookId: string): string {
  return `webhook.secret:${webhookId}`
}

export interface WebhookRow {
  id: string
  orgUnitId: string
  path: string
  url: string
  description: string | null
  eventTypes: string[]
  status: WebhookStatus
  pausedReason: string | null
  consecutiveFailures: number
  createdAt: Date
  updatedAt: Date
}

const COLUMNS = sql`w.id, w.org_unit_id as "orgUnitId", w.org_path as path, w.url, w.description,
  w.event_types as "eventTypes", w.status, w.paused_reason as "pausedReason",
  w.consecutive_failures as "consecutiveFailures", w.created_at as "createdAt", w.updated_at as "updatedAt"`

export async function findWebhook(db: Db, id: string, lock = false): Promise<WebhookRow | undefined> {
  return one<WebhookRow>(
    db,
    sql`select ${COLUMNS} from webhooks w where w.id = ${id} ${lock ? sql`for update` : sql``}`,
  )
}

export async function insertWebhook(
  db: Db,
  w: {
    id: string
    orgUnitId: string
    url: string
    description: string | null
    eventTypes: string[]
    secretSealed: string
    createdBy: string
  },
): Promise<WebhookRow> {
  await db.execute(sql`
    insert into webhooks (id, org_unit_id, org_path, url, description, event_types, secret_sealed, created_by)
    values (${w.id}, ${w.orgUnitId}, (select path from org_units where id = ${w.orgUnitId}), ${w.url},
            ${w.description}, ${`{${w.eventTypes.join(',')}}`}::text[], ${w.secretSealed}, ${w.createdBy})`)
  return (await findWebhook(db, w.id))!
}

export async function updateWebhookRow(db: Db, id: string, set: SQL[]): Promise<void> {
  await db.execute(
    sql`update webhooks set ${sql.join([...set, sql`updated_at = now()`], sql`, `)} where id = ${id}`,
  )
}

/** On resume: what waited while paused is due now, with a fresh retry window. */
export async function wakeDeliveries(db: Db, webhookId: string): Promise<void> {
  await db.execute(sql`update webhook_deliveries set next_attempt_at = now(), first_attempt_at = null
                        where webhook_id = ${webhookId} and status = 'pending'`)
}

export async function deleteWebhookRow(db: Db, id: string): Promise<void> {
  await db.execute(sql`delete from webhooks where id = ${id}`)
}

export async function listWebhookRows(
  db: Db,
  caller: Caller,
  q: { unitPath?: string; status?: WebhookStatus; after?: [string]; limit: number },
): Promise<WebhookRow[]> {
  const conds: SQL[] = [pathInScope(sql`w.org_path`, caller, ['secretary'])]
  if (q.unitPath) conds.push(sql`w.org_path like ${`${q.unitPath}%`}`)
  if (q.status) conds.push(sql`w.status = ${q.status}`)
  if (q.after) conds.push(sql`w.id > ${q.after[0]}::uuid`)
  return rows<WebhookRow>(
    db,
    sql`select ${COLUMNS} from webhooks w where ${sql.join(conds, sql` and `)} order by w.id limit ${q.limit + 1}`,
  )
}

export interface DeliveryRow {
  id: string
  seq: string
  eventId: string
  eventType: string
  subjectType: string
  subjectId: string
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: Date
  firstAttemptAt: Date | null
  lastAttemptAt: Date | null
  lastStatusCode: number | null
  lastError: string | null
  deliveredAt: Date | null
  createdAt: Date
  log: { attempt: number; at: string; durationMs: number; statusCode: number | null; error: string | null }[]
}

const DELIVERY_COLUMNS = sql`d.id, d.seq::text as seq, d.event_id as "eventId", e.type as "eventType",
  e.subject_type as "subjectType", e.subject_id as "subjectId", d.status, d.attempts,
  d.next_attempt_at as "nextAttemptAt", d.first_attempt_at as "firstAttemptAt", d.last_attempt_at as "lastAttemptAt",
  d.last_status_code as "lastStatusCode", d.last_error as "lastError", d.delivered_at as "deliveredAt",
  d.created_at as "createdAt",
  coalesce((select json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'durationMs', a.duration_ms,
                   'statusCode', a.status_code, 'error', a.error) order by a.attempt)
              from (select * from webhook_delivery_attempts x where x.delivery_id = d.id
                     order by x.attempt desc limit 100) a), '[]'::json) as log`

export async function listDeliveryRows(
  db: Db,
  webhookId: string,
  q: { status?: DeliveryStatus; eventId?: string; after?: [number]; limit: number },
): Promise<DeliveryRow[]> {
  const conds: SQL[] = [sql`d.webhook_id = ${webhookId}`]
  if (q.status) conds.push(sql`d.status = ${q.status}`)
  if (q.eventId) conds.push(sql`d.event_id = ${q.eventId}`)
  if (q.after) conds.push(sql`d.seq < ${q.after[0]}`)
  return rows<DeliveryRow>(
    db,
    sql`select ${DELIVERY_COLUMNS} from webhook_deliveries d join events e on e.id = d.event_id
        where ${sql.join(conds, sql` and `)} order by d.seq desc limit ${q.limit + 1}`,
  )
}

export async function findDelivery(
  db: Db,
  webhookId: string,
  eventId: string,
): Promise<DeliveryRow | undefined> {
  return one<DeliveryRow>(
    db,
    sql`select ${DELIVERY_COLUMNS} from webhook_deliveries d join events e on e.id = d.event_id
        where d.webhook_id = ${webhookId} and d.event_id = ${eventId}`,
  )
}

/**
 * Queues the event to the webhook again (or for the first time, for an event of its subtree and types from
 * before it existed): pending and due now, with a fresh retry window. False when the event is not one the
 * webhook may receive.
 */
export async function requeue(db: Db, w: WebhookRow, eventId: string): Promise<boolean> {
  const [row] = await rows<{ id: string }>(
    db,
    sql`insert into webhook_deliveries (webhook_id, event_id, subject_key)
        select ${w.id}, e.id, e.subject_type || ':' || e.subject_id from events e
         where e.id = ${eventId} and e.org_path like ${`${w.path}%`} and e.type = any (${`{${w.eventTypes.join(',')}}`}::text[])
        on conflict (webhook_id, event_id) do update
           set status = 'pending', next_attempt_at = now(), first_attempt_at = null
        returning id`,
  )
  return row !== undefined
}
