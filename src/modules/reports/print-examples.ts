import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the 双报告 and the printable ranking and standings (print-routes.ts). 赵丽华 of 青山社区党支部 works at
// the district hospital and serves in 石塔社区, where she lives; her branch's secretary reads the quarter.

const zhao = {
  registrationId: EX.registration,
  memberId: EX.member.zhao,
  memberName: EX.memberName.zhao,
  identityDocument: { type: 'resident_id', maskedNumber: '6201**********3024' },
  workUnit: '城关区人民医院',
  homeUnitId: EX.unit.otherBranch,
  homeUnitName: EX.unitName.otherBranch,
  communityId: EX.unit.community,
  communityName: EX.unitName.community,
  registeredAt: '2026-04-11T08:45:19.036+08:00',
  endedAt: null,
  activities: 3,
  activityHours: '9.50',
  serviceRequests: 2,
  serviceRequestHours: '3.00',
  hours: '12.50',
  averageRating: '4.50',
  claims: 5,
  claimsPosted: 4,
  points: '13.50',
}

const outside = { code: 'not_found' as const, detail: 'org unit not found' }
const backwards = {
  code: 'validation_failed' as const,
  detail: 'to: must not be before from',
  errors: [{ field: 'to', message: 'must not be before from' }],
}

export const printExamples: OperationExamples = {
  getDualRegistrationReport: {
    description: "A page of the 双报告: each member and community, the quarter's work there, by member name",
    response: { items: [zhao], nextCursor: null },
    errors: { 400: backwards, 404: outside },
  },
  exportDualRegistrationReportCsv: { errors: { 400: backwards, 404: outside } },
  getDualRegistrationReportPdf: { errors: { 400: backwards, 404: outside } },
  getRankingPdf: { errors: { 404: outside } },
  getStandingsPdf: {
    errors: {
      403: {
        code: 'forbidden',
        detail: "this unit's standings are not shown to members (standingsVisibleToMembers)",
      },
      404: outside,
    },
  },
}
