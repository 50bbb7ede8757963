import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of 更正 (correctServiceHours, listHoursCorrections) for /docs (see src/plugins/openapi-examples.ts):
// 李秀英 left 清理楼道小广告 at 10:30 for a family emergency, but 3.00 hours were verified; the branch secretary
// corrects them to 2.00 a week later.

const correction = {
  id: '01a2b7c4-5e1d-7a3f-9c42-6d8e1f0a2b3c',
  activityId: EX.activity,
  memberId: EX.member.li,
  previousHours: '3.00',
  hours: '2.00',
  reason: '本人 10:30 因家中急事提前离开，签退记录漏登，按实际服务时长更正',
  correctedByUserId: EX.user.secretary,
  correctedByName: '刘秀珍',
  createdAt: '2026-12-12T09:41:07.318+08:00',
}

export const correctionExamples: OperationExamples = {
  correctServiceHours: {
    description:
      'The correction, appended: from now on the figure that counts; the claim drafted from the participation ' +
      'was still unscored and now asks for 2.00 hours',
    request: { hours: '2.00', reason: correction.reason },
    response: {
      ...correction,
      verifiedHours: '3.00',
      claimId: EX.claim,
      claimStatus: 'submitted',
      claimFollowed: true,
    },
    invalid: { hours: '2.00' },
    errors: {
      403: {
        code: 'recused',
        detail:
          'you took part in this activity, so a secretary who did not must correct its hours (yours or a colleague’s)',
      },
      404: { code: 'not_found', detail: 'participant not found' },
      409: [
        {
          code: 'invalid_state',
          detail:
            'the activity is not verified yet: change its hours with recordParticipation (PUT .../participants/{memberId})',
        },
        { code: 'invalid_state', detail: "the member's hours here are already 2.00: nothing to correct" },
      ],
      422: { code: 'out_of_range', detail: "hours must not exceed the activity's length", maxHours: '3.50' },
    },
  },
  listHoursCorrections: {
    description:
      'The corrections of the participation, oldest first, beside the figure as verified and the current one',
    response: {
      activityId: EX.activity,
      memberId: EX.member.li,
      verifiedHours: '3.00',
      hours: '2.00',
      items: [correction],
    },
    errors: { 404: { code: 'not_found', detail: 'participant not found' } },
  },
}
