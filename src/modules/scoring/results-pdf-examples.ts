import type { OperationExamples } from '../../plugins/openapi'

// Examples of the notice-board sheet (公示栏, results-pdf.ts): the file describes itself; its refusals here.
export const resultsPdfExamples: OperationExamples = {
  getRoundResultsPdf: {
    errors: {
      404: { code: 'not_found', detail: 'scoring round not found' },
      409: { code: 'invalid_state', detail: 'results exist once the panel’s scoring is closed' },
    },
  },
}
