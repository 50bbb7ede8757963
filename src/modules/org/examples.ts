import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the org operations for /docs (see src/plugins/openapi-examples.ts).

const community = {
  id: EX.unit.community,
  parentId: EX.unit.street,
  kind: 'community',
  name: EX.unitName.community,
  code: 'ST-SQ',
  depth: 5,
  settings: { redemptionThreshold: '10.00', publicityDays: 3, minPublicityDays: null },
  effectiveSettings: { redemptionThreshold: '10.00', publicityDays: 3, minPublicityDays: 1 },
  createdAt: '2026-01-06T09:00:12.410+08:00',
  updatedAt: '2026-11-18T15:22:40.093+08:00',
}
const branch = {
  id: EX.unit.branch,
  parentId: EX.unit.community,
  kind: 'branch',
  name: EX.unitName.branch,
  code: 'ST-SQ-01',
  depth: 6,
  settings: { redemptionThreshold: null, publicityDays: null, minPublicityDays: null },
  effectiveSettings: { redemptionThreshold: '10.00', publicityDays: 3, minPublicityDays: 1 },
  createdAt: '2026-01-06T09:04:51.027+08:00',
  updatedAt: '2026-01-06T09:04:51.027+08:00',
}
const grid = {
  ...branch,
  id: EX.unit.grid,
  parentId: EX.unit.branch,
  kind: 'grid',
  name: EX.unitName.grid,
  code: 'ST-SQ-01-G3',
  depth: 7,
  createdAt: '2026-12-05T14:46:15.123+08:00',
  updatedAt: '2026-12-05T14:46:15.123+08:00',
}

export const orgExamples: OperationExamples = {
  createOrgUnit: {
    description: 'The unit, created under its parent, with the settings it inherits',
    request: { parentId: EX.unit.branch, kind: 'grid', name: EX.unitName.grid, code: 'ST-SQ-01-G3' },
    response: grid,
    invalid: { parentId: EX.unit.branch, kind: 'village', name: EX.unitName.grid },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  listOrgUnits: {
    description: 'A page of units, by name',
    response: { items: [community, branch], nextCursor: null },
  },
  getOrgUnit: {
    description: 'The unit with its own and its effective settings',
    response: community,
  },
  updateOrgUnit: {
    description: 'The unit as it is now, with the settings that apply there',
    request: { settings: { redemptionThreshold: '10.00', publicityDays: 3 } },
    response: community,
    invalid: { settings: { redemptionThreshold: '10.005' } },
    errors: {
      403: { code: 'forbidden', detail: 'minPublicityDays is set by an admin or from a unit above this one' },
    },
  },
}
