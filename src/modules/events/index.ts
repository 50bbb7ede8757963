/**
 * The events module's public surface (issue 20): the transactional outbox other modules write into, webhooks
 * and their delivery worker, and the pull feed.
 */
export { pointsPosted } from './payloads'
export { preparedEvent, recordEvent, recordEvents, setEventRecordingForBenchmark } from './record'
export { EVENT_TYPES, type EventSubject, type EventType, type NewEvent } from './types'
