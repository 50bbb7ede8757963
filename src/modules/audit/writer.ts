import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { Caller } from '../../shared/authz'

export type AuditTargetType =
  | 'org_unit'
  | 'user'
  | 'member'
  | 'team'
  | 'activity'
  | 'service_request'
  | 'service_certificate'
  | 'service_certificate_request'
  | 'rubric'
  | 'claim'
  | 'scoring_round'
  | 'objection'
  | 'ledger_transaction'
  | 'reward'
  | 'redemption'
  | 'resident'
  | 'resident_invitation'
  | 'appraisal'
  | 'webhook'

export interface AuditEvent {
  action: string
  targetType: AuditTargetType
  targetId: string
  /** The unit the target belongs to: whoever holds secretary or admin over it may read the event. */
  orgUnitId?: string | null
  before?: unknown
  after?: unknown
}

/**
 * Writes an audit event. Call it with the same `tx` as the change it records, so the event exists if and
 * only if the change does. `caller` is null for the system (bootstrap, expiry sweep).
 */
export async function recordAudit(tx: Db, caller: Caller | null, event: AuditEvent): Promise<void> {
  await tx.execute(
    sql`insert into audit_events (actor_user_id, action, target_type, target_id, org_unit_id, org_path, before, after)
        values (${caller?.userId ?? null}, ${event.action}, ${event.targetType}, ${event.targetId},
                ${event.orgUnitId ?? null},
                (select path from org_units where id = ${event.orgUnitId ?? null}),
                ${event.before === undefined ? null : JSON.stringify(event.before)}::jsonb,
                ${event.after === undefined ? null : JSON.stringify(event.after)}::jsonb)`,
  )
}

/**
 * The same event as a call of the database's audit_record() (src/db/sql/platform.sql), to run inside the one
 * statement that makes the change: `select ..., ${'$'}{auditCall(...)} from changed`. The event then exists if and only
 * if the statement's change does, with no transaction around two statements (two round trips fewer on a hot path).
 * `targetId` and `after` are SQL, so they may name the statement's own rows (an id the database generated).
 */
export function auditCall(
  caller: Caller | null,
  e: { action: string; targetType: AuditTargetType; targetId: SQL; orgUnitId: string | null; after: SQL },
): SQL {
  return sql`audit_record(${caller?.userId ?? null}::uuid, ${e.action}::text, ${e.targetType}::text, ${e.targetId},
                          ${e.orgUnitId}::uuid, null::jsonb, ${e.after})`
}

/** Many events in one statement (a CSV import writes one per created row), same transaction rules. */
export async function recordAuditMany(tx: Db, caller: Caller | null, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return
  const payload = events.map((e) => ({
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    orgUnitId: e.orgUnitId ?? null,
    before: e.before ?? null,
    after: e.after ?? null,
  }))
  await tx.execute(
    sql`insert into audit_events (actor_user_id, action, target_type, target_id, org_unit_id, org_path, before, after)
        select ${caller?.userId ?? null}::uuid, x.action, x."targetType", x."targetId", x."orgUnitId", o.path,
               nullif(x.before, 'null'::jsonb), nullif(x.after, 'null'::jsonb)
        from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb)
          as x(action text, "targetType" text, "targetId" uuid, "orgUnitId" uuid, before jsonb, after jsonb)
        left join org_units o on o.id = x."orgUnitId"`,
  )
}
