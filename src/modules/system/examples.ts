import type { OperationExamples } from '../../plugins/openapi'

// Examples of the health operations for /docs (see src/plugins/openapi-examples.ts).

export const systemExamples: OperationExamples = {
  getHealth: { description: 'The process is up', response: { status: 'ok' } },
  getReadiness: {
    description: 'The database answers',
    response: { status: 'ready' },
    errors: { 503: { code: 'unavailable', detail: 'the database is not reachable' } },
  },
}
