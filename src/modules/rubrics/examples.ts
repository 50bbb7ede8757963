import { EX, type OperationExamples } from '../../plugins/openapi'
import template from './default-template.json' with { type: 'json' }

// Examples of the rubric operations for /docs (see src/plugins/openapi-examples.ts).

const item = (code: string) => {
  const found = template.items.find((i) => i.code === code)
  if (!found) throw new Error(`no item ${code} in the default template`)
  return found
}
/** Three items of the shipped template, as a branch keeps them (the full rubric has 20). */
const items = [item('ENVIRON'), item('ORDER'), { ...item('CARE'), capPerYear: '24.00' }]

const rubric = {
  id: EX.rubric,
  orgUnitId: EX.unit.branch,
  year: 2026,
  name: '石塔社区第一党支部 2026 年党员积分细则',
  status: 'active',
  copiedFromRubricId: EX.lastYearRubric,
  items,
  createdAt: '2026-01-08T10:02:17.330+08:00',
  updatedAt: '2026-01-12T16:45:03.905+08:00',
  activatedAt: '2026-01-12T16:45:03.905+08:00',
}
const draft = { ...rubric, status: 'draft', activatedAt: null }

export const rubricsExamples: OperationExamples = {
  getDefaultRubricTemplate: {
    description: 'The shipped 20-item rubric (积分细则), to copy into a unit rubric',
    response: template,
  },
  createRubric: {
    description: 'The rubric, a draft: its items can change until it is activated',
    request: {
      orgUnitId: EX.unit.branch,
      year: 2026,
      name: '石塔社区第一党支部 2026 年党员积分细则',
      copyFromRubricId: EX.lastYearRubric,
    },
    response: draft,
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'items: send exactly one of items, fromTemplate or copyFromRubricId',
        errors: [{ field: 'items', message: 'send exactly one of items, fromTemplate or copyFromRubricId' }],
      },
      404: { code: 'not_found', detail: 'org unit not found' },
    },
  },
  listRubrics: {
    description: 'A page of rubrics, newest first',
    response: { items: [rubric], nextCursor: null },
  },
  getRubric: {
    description: 'The rubric with its items',
    response: rubric,
  },
  replaceRubricItems: {
    description: 'The draft with its new items',
    request: { items },
    response: draft,
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'items.0.pointsPerUnit: at most two decimal places, e.g. "3.50"',
        errors: [
          { field: 'items.0.pointsPerUnit', message: 'at most two decimal places, e.g. "3.50"' },
          { field: 'items.2.capPerYear', message: 'must be at least maxPerClaim' },
        ],
      },
      409: { code: 'invalid_state', detail: 'an active rubric never changes; copy it into a new draft' },
    },
  },
  activateRubric: {
    description: 'The rubric, active: claims and rounds use it, and it never changes again',
    response: rubric,
    errors: {
      409: [
        {
          code: 'conflict',
          detail: 'another rubric is already active for this unit and year',
          activeRubricId: '5e3f1c08-7b2a-4d91-a6c4-0f8e2b9d7a15',
        },
        { code: 'invalid_state', detail: 'the rubric is already active' },
      ],
    },
  },
}
