import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the org operations for /docs (see src/plugins/openapi-examples.ts).

const stars = [
  { name: '一星', minHours: '100.00' },
  { name: '二星', minHours: '300.00' },
  { name: '三星', minHours: '600.00' },
  { name: '四星', minHours: '1000.00' },
  { name: '五星', minHours: '1500.00' },
]
const grades = [
  { name: '五星', minPoints: '90.00' },
  { name: '四星', minPoints: '75.00' },
  { name: '三星', minPoints: '60.00' },
]
const certificate = { personInCharge: '王建华', contactPhone: '0311-86001234', sealText: '石塔社区党委' }
const objectionNotice =
  '公示期间如有异议，请向石塔社区党委书面或当面反映（电话 0311-86001234），逾期视为无异议。'
const noOwnExtras = {
  grades: null,
  volunteerStars: null,
  standingsVisibleToMembers: null,
  certificate: { personInCharge: null, contactPhone: null, sealText: null },
  objectionNotice: null,
}
const effective = {
  redemptionThreshold: '10.00',
  publicityDays: 3,
  minPublicityDays: 1,
  grades,
  volunteerStars: stars,
  standingsVisibleToMembers: true,
  certificate,
  objectionNotice,
}

const community = {
  id: EX.unit.community,
  parentId: EX.unit.street,
  kind: 'community',
  name: EX.unitName.community,
  code: 'ST-SQ',
  depth: 5,
  settings: {
    redemptionThreshold: '10.00',
    publicityDays: 3,
    minPublicityDays: null,
    ...noOwnExtras,
    grades,
    certificate,
    objectionNotice,
  },
  effectiveSettings: effective,
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
  settings: { redemptionThreshold: null, publicityDays: null, minPublicityDays: null, ...noOwnExtras },
  effectiveSettings: effective,
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
    request: {
      settings: { redemptionThreshold: '10.00', publicityDays: 3, grades, certificate, objectionNotice },
    },
    response: community,
    invalid: { settings: { redemptionThreshold: '10.005' } },
    errors: {
      403: { code: 'forbidden', detail: 'minPublicityDays is set by an admin or from a unit above this one' },
    },
  },
}
