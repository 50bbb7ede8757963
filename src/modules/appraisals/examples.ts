import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of 评优 for /docs (see src/plugins/openapi-examples.ts): 石塔社区第一党支部's 2026 appraisals.

const earlier = {
  id: 'c0a8e1f2-5b7d-4c3e-9a41-2f6d8b0e7c15',
  outcome: '合格',
  note: null,
  reason: null,
  points: '71.00',
  grade: '三星',
  recordedBy: EX.user.secretary,
  recordedAt: '2026-12-20T10:12:31.402+08:00',
}

const zhang = {
  id: '7e3f9b24-1d6a-4f08-8c5e-b92a4d1f6e30',
  outcome: '优秀',
  note: '全年参加志愿服务 37 小时，带头清理楼道小广告',
  reason: '公示期间群众反映其冬季助老服务未计入，经支委会复核',
  points: '71.00',
  grade: '三星',
  recordedBy: EX.user.secretary,
  recordedAt: '2026-12-28T16:40:05.118+08:00',
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  orgUnitId: EX.unit.branch,
  year: 2026,
  published: true,
  history: [earlier],
}

const li = {
  id: '2b9d4e71-6c0f-4a35-b8e2-51f7a3c9d084',
  outcome: '优秀',
  note: null,
  reason: null,
  points: '92.00',
  grade: '五星',
  recordedBy: EX.user.secretary,
  recordedAt: '2026-12-20T10:11:02.877+08:00',
  memberId: EX.member.li,
  memberName: EX.memberName.li,
  orgUnitId: EX.unit.branch,
  year: 2026,
  published: true,
  history: [],
}

export const appraisalsExamples: OperationExamples = {
  recordAppraisal: {
    description: "The member's current appraisal for the year, with the earlier outcomes it superseded",
    request: {
      outcome: '优秀',
      note: '全年参加志愿服务 37 小时，带头清理楼道小广告',
      reason: '公示期间群众反映其冬季助老服务未计入，经支委会复核',
    },
    response: zhang,
    invalid: { outcome: '良好' },
    errors: { 404: { code: 'not_found', detail: 'member not found' } },
  },
  listAppraisals: {
    description: 'A page of the current appraisals, by name, each with its history',
    response: { items: [zhang, li], nextCursor: null },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  listMyAppraisals: {
    description: "The member's own published outcomes, newest year first",
    response: { items: [{ ...zhang, published: true }], nextCursor: null },
  },
  publishAppraisals: {
    description: 'The publication: from now on outcomes below the unit change only with a reason',
    request: { orgUnitId: EX.unit.branch, year: 2026 },
    response: {
      orgUnitId: EX.unit.branch,
      year: 2026,
      publishedBy: EX.user.secretary,
      publishedAt: '2026-12-21T09:00:00.000+08:00',
      appraisals: 4,
    },
    errors: {
      404: { code: 'not_found', detail: 'org unit not found' },
      409: { code: 'conflict', detail: 'the 2026 appraisals of this unit are already published' },
    },
  },
}
