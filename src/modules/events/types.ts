/**
 * Every event type the service emits (issue 20), in the order the README documents them. A webhook subscribes to
 * some of them; the pull feed filters by them.
 */
export const EVENT_TYPES = [
  'points.posted',
  'round.publicity_started',
  'round.finalized',
  'objection.filed',
  'objection.resolved',
  'redemption.reserved',
  'redemption.fulfilled',
  'redemption.cancelled',
  'redemption.expiring',
  'redemption.expired',
  'service_request.dispatched',
  'service_request.completed',
  'activity.verified',
  'certificate.issued',
  'sign_up.promoted',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** What an event is about: its kind (member, scoring_round, redemption ...) and id. */
export interface EventSubject {
  type: string
  id: string
}

export interface NewEvent {
  type: EventType
  /** Where it happened: webhooks on this unit or above, and staff over it, see the event. */
  orgUnitId: string
  subject: EventSubject
  /** The member the event is about, if any: that member reads it in their own feed (GET /events). */
  memberId?: string | null
  /** What a client needs without a second call (JSON; amounts as decimal strings like the API). */
  data: Record<string, unknown>
}
