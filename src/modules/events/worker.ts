import type { FastifyInstance } from 'fastify'
import { type Db, rows, sql, transaction } from '../../db/client'
import type { PiiKeyring } from '../../shared/pii'
import { recordAudit } from '../audit'
import { postEvent } from './delivery'
import { EVENT_JSON, type EventRow, envelope } from './envelope'
import { secretContext } from './webhooks-repo'

/**
 * The delivery worker, one in every server process (issue 20). Each tick:
 * 1. dispatch: the events committed since the last dispatch get their feed number (in commit order: see the
 *    events table) and become one pending delivery per matching webhook, in one statement under a row lock
 *    taken with SKIP LOCKED (one process dispatches at a time, the others skip);
 * 2. claim: due deliveries of active webhooks whose (webhook, subject) has no earlier delivery still pending (so
 *    one subject's events arrive in order) are taken with FOR UPDATE SKIP LOCKED and leased: their next attempt is
 *    moved past the timeout, and the transaction commits before any request is made (no lock is held across the
 *    network, no transaction stays open for the feed to wait on);
 * 3. deliver each, then record the attempt: delivered; or a retry after an exponential backoff with jitter while
 *    the retry window (24 h from the first attempt) lasts; else failed, and after `pauseAfterFailures` failed
 *    deliveries in a row the webhook pauses itself, audited.
 * A process killed mid-delivery leaves its leases behind: they fall due again when the lease ends and another
 * process (or this one, restarted) delivers them again: at least once, a duplicate only for what was in flight,
 * with the same webhook-id, so receivers drop it.
 */
export interface WorkerOptions {
  /** Pause between ticks when there was nothing to do (ms; default 1000). */
  intervalMs?: number
  /** Deliveries taken per tick (default 50). */
  batchSize?: number
  /** A 2xx within this long is success (ms; default 10 000). */
  timeoutMs?: number
  /** First retry delay (ms; default 5 000), doubled each attempt up to retryMaxMs, each with jitter. */
  retryBaseMs?: number
  /** Longest delay between two attempts (ms; default one hour). */
  retryMaxMs?: number
  /** Retries stop this long after the first attempt: the delivery fails (ms; default 24 h). */
  retryWindowMs?: number
  /** Failed deliveries in a row after which the webhook pauses itself (default 5). */
  pauseAfterFailures?: number
  allowPrivateNetworks?: boolean
}

type Settings = Required<WorkerOptions>

export function workerSettings(opts: WorkerOptions = {}): Settings {
  return {
    intervalMs: opts.intervalMs ?? 1000,
    batchSize: opts.batchSize ?? 50,
    timeoutMs: opts.timeoutMs ?? 10_000,
    retryBaseMs: opts.retryBaseMs ?? 5_000,
    retryMaxMs: opts.retryMaxMs ?? 3_600_000,
    retryWindowMs: opts.retryWindowMs ?? 86_400_000,
    pauseAfterFailures: opts.pauseAfterFailures ?? 5,
    allowPrivateNetworks: opts.allowPrivateNetworks ?? false,
  }
}

/** The delay before attempt `attempts + 1`: base * 2^(attempts-1), capped, times a jitter of 50-100 %. */
export function backoffMs(
  attempts: number,
  s: Pick<Settings, 'retryBaseMs' | 'retryMaxMs'>,
  random = Math.random,
) {
  const exp = Math.min(s.retryBaseMs * 2 ** Math.max(0, attempts - 1), s.retryMaxMs)
  return Math.round(exp * (0.5 + random() / 2))
}

/**
 * Numbers the committed events not yet numbered (their event_feed rows' seq, in (txId, id) order, after the last
 * number given) and fans them out to one delivery per matching webhook, in one statement. The state row is taken
 * with SKIP LOCKED: one dispatcher at a time, the others pass; so numbers are given in commit order of the
 * dispatchers' transactions and a feed reader never sees a later number before an earlier one. Returns how many
 * it numbered.
 */
export async function dispatchEvents(db: Db, limit = 1000): Promise<number> {
  const [row] = await rows<{ n: number }>(
    db,
    sql`with st as (select last_seq from event_dispatch_state where id = 1 for update skip locked),
        todo as (select f.event_id, st.last_seq + row_number() over (order by f.tx_id, f.event_id) as seq
                   from (select event_id, tx_id from event_feed where seq is null
                          order by tx_id, event_id limit ${limit}) f, st),
        numbered as (update event_feed f set seq = todo.seq from todo where f.event_id = todo.event_id
                     returning f.event_id, f.seq),
        ins as (insert into webhook_deliveries (webhook_id, event_id, subject_key)
                select w.id, e.id, e.subject_type || ':' || e.subject_id
                  from numbered n join events e on e.id = n.event_id
                  join webhooks w on e.org_path like w.org_path || '%' and e.type = any (w.event_types)
                   and w.created_at <= e.occurred_at
                 order by n.seq, w.id
                on conflict do nothing),
        moved as (update event_dispatch_state s set last_seq = s.last_seq + (select count(*) from todo)
                   where s.id = 1 and exists (select 1 from todo))
        select (select count(*)::int from todo) as n`,
  )
  return row?.n ?? 0
}

interface Claimed {
  id: string
  webhookId: string
  url: string
  secretSealed: string
  attempts: number
  firstAttemptAt: Date
  event: EventRow
}

/** Takes due deliveries (see the module comment) and leases them for one attempt. */
export async function claimDeliveries(db: Db, s: Settings): Promise<Claimed[]> {
  const leaseMs = s.timeoutMs + 5_000
  return rows<Claimed>(
    db,
    sql`with due as (
          select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id
           where d.status = 'pending' and d.next_attempt_at <= now() and w.status = 'active'
             and not exists (select 1 from webhook_deliveries p
                              where p.webhook_id = d.webhook_id and p.subject_key = d.subject_key
                                and p.status = 'pending' and p.seq < d.seq)
           order by d.next_attempt_at, d.seq
           limit ${s.batchSize}
           for update of d skip locked)
        update webhook_deliveries d
           set attempts = d.attempts + 1, next_attempt_at = now() + ${`${leaseMs} milliseconds`}::interval,
               first_attempt_at = coalesce(d.first_attempt_at, now())
          from due, webhooks w, events e
         where d.id = due.id and w.id = d.webhook_id and e.id = d.event_id
        returning d.id, d.webhook_id as "webhookId", w.url, w.secret_sealed as "secretSealed", d.attempts,
                  d.first_attempt_at as "firstAttemptAt",
                  ${EVENT_JSON} as event`,
  )
}

/** Writes an attempt's outcome (its own short transaction). */
export async function recordAttempt(
  db: Db,
  d: Claimed,
  outcome: { ok: boolean; statusCode: number | null; error: string | null; durationMs: number },
  s: Settings,
  at = new Date(),
): Promise<'delivered' | 'retry' | 'failed'> {
  const firstAt = new Date(d.firstAttemptAt).getTime()
  const delay = backoffMs(d.attempts, s)
  const verdict = outcome.ok
    ? 'delivered'
    : at.getTime() + delay - firstAt > s.retryWindowMs
      ? 'failed'
      : 'retry'
  await transaction(db, async (tx) => {
    await tx.execute(sql`
      insert into webhook_delivery_attempts (delivery_id, attempt, at, duration_ms, status_code, error)
      values (${d.id}, ${d.attempts}, ${at.toISOString()}, ${outcome.durationMs}, ${outcome.statusCode}, ${outcome.error})
      on conflict do nothing`)
    const next = verdict === 'retry' ? new Date(at.getTime() + delay).toISOString() : at.toISOString()
    await tx.execute(sql`
      update webhook_deliveries set status = ${verdict === 'retry' ? 'pending' : verdict},
             last_attempt_at = ${at.toISOString()}, last_status_code = ${outcome.statusCode},
             last_error = ${outcome.error}, next_attempt_at = ${next},
             delivered_at = ${verdict === 'delivered' ? at.toISOString() : null}
       where id = ${d.id} and status = 'pending'`)
    if (verdict === 'delivered') {
      await tx.execute(
        sql`update webhooks set consecutive_failures = 0 where id = ${d.webhookId} and consecutive_failures <> 0`,
      )
    } else if (verdict === 'failed') {
      const [w] = await rows<{ failures: number; status: string; orgUnitId: string }>(
        tx,
        sql`update webhooks set consecutive_failures = consecutive_failures + 1 where id = ${d.webhookId}
            returning consecutive_failures as failures, status, org_unit_id as "orgUnitId"`,
      )
      if (w && w.status === 'active' && w.failures >= s.pauseAfterFailures) {
        const reason = `${w.failures} deliveries in a row failed for ${Math.round(s.retryWindowMs / 3_600_000)} h`
        await tx.execute(
          sql`update webhooks set status = 'paused', paused_reason = ${reason}, updated_at = now() where id = ${d.webhookId}`,
        )
        await recordAudit(tx, null, {
          action: 'webhook.paused',
          targetType: 'webhook',
          targetId: d.webhookId,
          orgUnitId: w.orgUnitId,
          before: { status: 'active' },
          after: { status: 'paused', reason, consecutiveFailures: w.failures },
        })
      }
    }
  })
  return verdict
}

/** One tick: dispatch, claim, deliver, record. Returns how many deliveries it attempted. */
export async function runDeliveries(db: Db, pii: PiiKeyring, s: Settings): Promise<number> {
  while ((await dispatchEvents(db)) >= 1000) {}
  const claimed = await claimDeliveries(db, s)
  await Promise.all(
    claimed.map(async (d) => {
      let secret: string
      try {
        secret = pii.open(d.secretSealed, secretContext(d.webhookId))
      } catch {
        await recordAttempt(
          db,
          d,
          { ok: false, statusCode: null, error: 'the secret cannot be opened with PII_KEY', durationMs: 0 },
          s,
        )
        return
      }
      const outcome = await postEvent(d.url, secret, envelope(d.event), s)
      await recordAttempt(db, d, outcome, s)
    }),
  )
  return claimed.length
}

/**
 * Runs the worker inside the server. Its timer is unref'd (it never keeps a process or a test alive), ticks
 * never overlap, a full batch runs the next tick at once, and app.close() (SIGTERM) stops it and waits for the
 * tick in flight: its deliveries are recorded, or (past the 15 s shutdown limit) left leased and retried.
 */
export function startEventWorker(app: FastifyInstance, opts: WorkerOptions = {}) {
  const s = workerSettings(opts)
  let running: Promise<void> | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const schedule = (ms: number) => {
    if (stopped) return
    timer = setTimeout(tick, ms)
    timer.unref()
  }
  const tick = () => {
    if (running || stopped) return
    let next = s.intervalMs
    running = runDeliveries(app.db, app.pii, s)
      .then((n) => {
        if (n >= s.batchSize) next = 0
      })
      .catch((err) => {
        if (!stopped) app.log.error({ err }, 'webhook delivery tick failed; it runs again shortly')
      })
      .finally(() => {
        running = undefined
        schedule(next)
      })
  }
  schedule(0)
  app.addHook('onClose', async () => {
    stopped = true
    if (timer) clearTimeout(timer)
    await running
  })
  return {
    /** Runs a tick now (tests), resolving when it is done. */
    async runNow() {
      while (running) await running
      await runDeliveries(app.db, app.pii, s)
    },
  }
}
