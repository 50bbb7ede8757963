import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import { type Caller, coversPath, findUnit, requireRole, requireUnitInScope } from '../../shared/authz'
import { notFound, validation } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import type { PiiKeyring } from '../../shared/pii'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import { recordAudit } from '../audit'
import type { CreateWebhookBody, ListDeliveriesQuery, ListWebhooksQuery, UpdateWebhookBody } from './schemas'
import { parseWebhookUrl, resolveSafely, UnsafeUrlError } from './ssrf'
import * as repo from './webhooks-repo'

/** Admins and secretaries over the unit manage its webhooks (admin counts as every role). */
const MANAGERS = ['secretary'] as const

export interface WebhooksContext {
  pii: PiiKeyring
  allowPrivateNetworks: boolean
}

function webhookDto(w: repo.WebhookRow) {
  return {
    id: w.id,
    orgUnitId: w.orgUnitId,
    url: w.url,
    description: w.description,
    eventTypes: w.eventTypes,
    status: w.status,
    pausedReason: w.pausedReason,
    consecutiveFailures: w.consecutiveFailures,
    createdAt: formatInstant(w.createdAt),
    updatedAt: formatInstant(w.updatedAt),
  }
}

/** A new signing secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** The URL as a webhook may have it: http(s), and (unless allowed) not resolving into the service's own network. */
async function checkUrl(url: string, ctx: WebhooksContext): Promise<string> {
  try {
    const parsed = parseWebhookUrl(url)
    await resolveSafely(parsed, ctx.allowPrivateNetworks)
    return parsed.href
  } catch (err) {
    if (err instanceof UnsafeUrlError) throw validation('url', err.message)
    throw err
  }
}

/** The webhook, if the caller manages it; 404 otherwise (403 without the role anywhere). */
async function requireWebhook(db: Db, caller: Caller, id: string, lock = false) {
  requireRole(caller, MANAGERS)
  const w = await repo.findWebhook(db, id, lock)
  if (!w || !coversPath(caller, w.path, MANAGERS)) throw notFound('webhook')
  return w
}

export async function createWebhook(db: Db, caller: Caller, body: CreateWebhookBody, ctx: WebhooksContext) {
  const url = await checkUrl(body.url, ctx)
  return transaction(db, async (tx) => {
    const unit = await requireUnitInScope(tx, caller, body.orgUnitId, MANAGERS)
    const id = newId()
    const secret = newSecret()
    const w = await repo.insertWebhook(tx, {
      id,
      orgUnitId: unit.id,
      url,
      description: body.description ?? null,
      eventTypes: body.eventTypes,
      secretSealed: ctx.pii.seal(secret, repo.secretContext(id)),
      createdBy: caller.userId,
    })
    const out = webhookDto(w)
    // The secret never goes into the audit trail (nor anywhere else in clear).
    await recordAudit(tx, caller, {
      action: 'webhook.create',
      targetType: 'webhook',
      targetId: id,
      orgUnitId: unit.id,
      after: out,
    })
    return { ...out, secret }
  })
}

export async function getWebhook(db: Db, caller: Caller, id: string) {
  return webhookDto(await requireWebhook(db, caller, id))
}

export async function listWebhooks(db: Db, caller: Caller, q: ListWebhooksQuery) {
  requireRole(caller, MANAGERS)
  const limit = pageLimit(q.limit)
  let unitPath: string | undefined
  if (q.orgUnitId) {
    const unit = await findUnit(db, q.orgUnitId)
    if (!unit || !coversPath(caller, unit.path, MANAGERS)) throw notFound('org unit')
    unitPath = unit.path
  }
  const after = decodeCursor(q.cursor, ['uuid'])
  const found = await repo.listWebhookRows(db, caller, { unitPath, status: q.status, after, limit })
  return toPage(found, limit, (w) => [w.id], webhookDto)
}

export async function updateWebhook(
  db: Db,
  caller: Caller,
  id: string,
  body: UpdateWebhookBody,
  ctx: WebhooksContext,
) {
  const url = body.url === undefined ? undefined : await checkUrl(body.url, ctx)
  return transaction(db, async (tx) => {
    const before = await requireWebhook(tx, caller, id, true)
    const set = []
    if (url !== undefined) set.push(sql`url = ${url}`)
    if (body.eventTypes !== undefined)
      set.push(sql`event_types = ${`{${body.eventTypes.join(',')}}`}::text[]`)
    if (body.description !== undefined) set.push(sql`description = ${body.description}`)
    const resuming = body.status === 'active' && before.status === 'paused'
    if (body.status !== undefined && body.status !== before.status) {
      set.push(sql`status = ${body.status}, paused_reason = null`)
      if (resuming) set.push(sql`consecutive_failures = 0`)
    }
    if (set.length === 0) return webhookDto(before)
    await repo.updateWebhookRow(tx, id, set)
    if (resuming) await repo.wakeDeliveries(tx, id)
    const after = webhookDto((await repo.findWebhook(tx, id))!)
    await recordAudit(tx, caller, {
      action:
        body.status && body.status !== before.status
          ? `webhook.${resuming ? 'resumed' : 'paused'}`
          : 'webhook.update',
      targetType: 'webhook',
      targetId: id,
      orgUnitId: before.orgUnitId,
      before: webhookDto(before),
      after,
    })
    return after
  })
}

export async function deleteWebhook(db: Db, caller: Caller, id: string) {
  await transaction(db, async (tx) => {
    const before = await requireWebhook(tx, caller, id, true)
    await repo.deleteWebhookRow(tx, id)
    await recordAudit(tx, caller, {
      action: 'webhook.delete',
      targetType: 'webhook',
      targetId: id,
      orgUnitId: before.orgUnitId,
      before: webhookDto(before),
    })
  })
}

/** A new secret, shown once; the old one stops signing at once (receivers switch to the new one). */
export async function rotateWebhookSecret(db: Db, caller: Caller, id: string, ctx: WebhooksContext) {
  return transaction(db, async (tx) => {
    const w = await requireWebhook(tx, caller, id, true)
    const secret = newSecret()
    await repo.updateWebhookRow(tx, id, [
      sql`secret_sealed = ${ctx.pii.seal(secret, repo.secretContext(id))}`,
    ])
    const out = webhookDto((await repo.findWebhook(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'webhook.rotate_secret',
      targetType: 'webhook',
      targetId: id,
      orgUnitId: w.orgUnitId,
    })
    return { ...out, secret }
  })
}

function deliveryDto(d: repo.DeliveryRow) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    subject: { type: d.subjectType, id: d.subjectId },
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? formatInstant(d.nextAttemptAt) : null,
    firstAttemptAt: formatInstantOrNull(d.firstAttemptAt),
    lastAttemptAt: formatInstantOrNull(d.lastAttemptAt),
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: formatInstantOrNull(d.deliveredAt),
    createdAt: formatInstant(d.createdAt),
    attemptLog: d.log.map((a) => ({
      attempt: a.attempt,
      at: formatInstant(a.at),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
    })),
  }
}

export async function listWebhookDeliveries(db: Db, caller: Caller, id: string, q: ListDeliveriesQuery) {
  const w = await requireWebhook(db, caller, id)
  const limit = pageLimit(q.limit)
  const after = decodeCursor(q.cursor, ['int'])
  const found = await repo.listDeliveryRows(db, w.id, { status: q.status, eventId: q.eventId, after, limit })
  return toPage(found, limit, (d) => [Number(d.seq)], deliveryDto)
}

/** Delivers the event to the webhook again, now (or for the first time, for an event from before it existed). */
export async function redeliverWebhookEvent(db: Db, caller: Caller, id: string, eventId: string) {
  return transaction(db, async (tx) => {
    const w = await requireWebhook(tx, caller, id)
    if (!(await repo.requeue(tx, w, eventId))) throw notFound('event')
    await recordAudit(tx, caller, {
      action: 'webhook.redeliver',
      targetType: 'webhook',
      targetId: id,
      orgUnitId: w.orgUnitId,
      after: { eventId },
    })
    return deliveryDto((await repo.findDelivery(tx, id, eventId))!)
  })
}
