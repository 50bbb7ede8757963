import { index, integer, json, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'
import * as col from './columns'

/**
 * Idempotency-Key records. Written in the same transaction as the work they guard, so a crash leaves
 * either both or neither; the primary key makes a concurrent duplicate wait, then replay.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid().notNull(),
    key: text().notNull(),
    operation: text().notNull(),
    requestHash: text().notNull(),
    statusCode: integer().notNull(),
    // json, not jsonb: a replay must give back the stored body exactly as first sent.
    responseBody: json().notNull(),
    createdAt: col.createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
)

/** Every change, written in the same transaction as the change. `orgPath` scopes who may read it. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: col.id(),
    at: col.at().notNull().defaultNow(),
    actorUserId: uuid(),
    action: text().notNull(),
    targetType: text().notNull(),
    targetId: uuid().notNull(),
    orgUnitId: uuid(),
    orgPath: text(),
    before: jsonb(),
    after: jsonb(),
  },
  (t) => [
    index('audit_events_target_idx').on(t.targetType, t.targetId),
    index('audit_events_at_idx').on(t.at, t.id),
  ],
)
