import { type Db, sql } from '../../db/client'
import { newId } from '../../shared/ids'
import type { NewEvent } from './types'

/**
 * Whether events are written at all. Always on in the service; only the benchmark turns it off to measure what
 * the outbox costs a redemption or a finalize (bench/events.ts), never a configuration of the server.
 */
let recording = true

/** For the benchmark's with/without comparison only. */
export function setEventRecordingForBenchmark(on: boolean): void {
  recording = on
}

/**
 * Writes one event into the outbox in the caller's transaction (`tx`): it commits with the change or not at all.
 * Returns the event's id (time-ordered; the consumer's dedupe key and the webhook-id of its deliveries).
 */
export async function recordEvent(tx: Db, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(tx, [event])
  return id as string
}

/**
 * An event as the database function event_record (src/db/sql/events.sql) takes it, for writes that are one
 * database function call (the redemption functions of rewards.sql put it in their jsonb command). Null when
 * recording is off (the benchmark's comparison).
 */
export function preparedEvent(event: NewEvent): Record<string, unknown> | null {
  if (!recording) return null
  return {
    id: newId(),
    type: event.type,
    orgUnitId: event.orgUnitId,
    subjectType: event.subject.type,
    subjectId: event.subject.id,
    memberId: event.memberId ?? null,
    data: event.data,
  }
}

/**
 * Writes many events in one statement (a finalize's 2,000 results are one insert, not 2,000), in the caller's
 * transaction. `oncePerSubject`: for the types events_once_idx allows once per subject (redemption.expiring), an
 * event already written is skipped instead of failing. An unknown orgUnitId fails the statement (org_path not null), so a typo cannot lose an event.
 */
export async function recordEvents(
  tx: Db,
  list: readonly NewEvent[],
  opts: { oncePerSubject?: boolean } = {},
): Promise<string[]> {
  if (list.length === 0 || !recording) return []
  const ids = list.map(() => newId())
  const payload = JSON.stringify(
    list.map((e, i) => ({
      id: ids[i],
      type: e.type,
      org_unit_id: e.orgUnitId,
      subject_type: e.subject.type,
      subject_id: e.subject.id,
      member_id: e.memberId ?? null,
      data: e.data,
    })),
  )
  await tx.execute(sql`
    insert into events (id, type, org_unit_id, org_path, subject_type, subject_id, member_id, data)
    select r.id, r.type, r.org_unit_id, u.path, r.subject_type, r.subject_id, r.member_id, r.data
      from json_to_recordset(${payload}::json)
           as r(id uuid, type text, org_unit_id uuid, subject_type text, subject_id uuid, member_id uuid, data jsonb)
      left join org_units u on u.id = r.org_unit_id
    ${opts.oncePerSubject ? sql`on conflict do nothing` : sql``}`)
  return ids
}
