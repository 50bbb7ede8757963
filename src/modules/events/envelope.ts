import { sql } from '../../db/client'
import { formatInstant } from '../../shared/time'
import type { EventEnvelope } from './delivery'

/** An events row as SQL hands it over (EVENT_JSON), before envelope() shapes it. */
export interface EventRow {
  id: string
  type: string
  occurredAt: string
  orgUnitId: string
  subjectType: string
  subjectId: string
  data: Record<string, unknown>
}

/** The columns of an event, as one json value (alias `e` for events). */
export const EVENT_JSON = sql`json_build_object('id', e.id, 'type', e.type, 'occurredAt', e.occurred_at,
  'orgUnitId', e.org_unit_id, 'subjectType', e.subject_type, 'subjectId', e.subject_id, 'data', e.data)`

/** The one shape of an event, in a webhook's body and in the pull feed. */
export function envelope(e: EventRow): EventEnvelope {
  return {
    id: e.id,
    type: e.type,
    occurredAt: formatInstant(e.occurredAt),
    orgUnitId: e.orgUnitId,
    subject: { type: e.subjectType, id: e.subjectId },
    data: e.data,
  }
}
