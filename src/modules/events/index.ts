/**
 * The events module's public surface (issue 20): the transactional outbox other modules write into
 * (recordEvent, recordEvents, preparedEvent for one-statement database functions), webhooks and their delivery
 * worker, and the pull feed.
 */
export { eventsExamples } from './examples'
export { pointsPosted } from './payloads'
export { preparedEvent, recordEvent, recordEvents, setEventRecordingForBenchmark } from './record'
export { type EventsRoutesOptions, eventsRoutes } from './routes'
export { EVENT_TYPES, type EventSubject, type EventType, type NewEvent } from './types'
export { dispatchEvents, startEventWorker, type WorkerOptions } from './worker'
