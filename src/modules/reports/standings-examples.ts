import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of 亮积分 (standings) for /docs: 石塔社区第一党支部's 2026, with grades 五星 >= 90, 四星 >= 75, 三星 >= 60.

export const standingsExamples: OperationExamples = {
  getStandings: {
    description: "A page of the branch's standings: rank, name, the year's points and hours, and the grade",
    response: {
      items: [
        {
          rank: 1,
          memberId: EX.member.li,
          name: EX.memberName.li,
          points: '92.00',
          hours: '52.50',
          grade: '五星',
        },
        {
          rank: 2,
          memberId: EX.member.wang,
          name: EX.memberName.wang,
          points: '78.50',
          hours: '41.50',
          grade: '四星',
        },
        {
          rank: 3,
          memberId: EX.member.zhang,
          name: EX.memberName.zhang,
          points: '71.00',
          hours: '37.00',
          grade: '三星',
        },
        {
          rank: 4,
          memberId: EX.member.zhao,
          name: EX.memberName.zhao,
          points: '42.00',
          hours: '12.00',
          grade: null,
        },
      ],
      nextCursor: null,
    },
    errors: {
      403: {
        code: 'forbidden',
        detail: "this unit's standings are not shown to members (standingsVisibleToMembers)",
      },
      404: { code: 'not_found', detail: 'org unit not found' },
    },
  },
  getMyStanding: {
    description:
      "The caller's rank in their branch, the year's points and grade, the gap to the next grade, the star",
    response: {
      year: 2026,
      memberId: EX.member.zhang,
      orgUnitId: EX.unit.branch,
      orgUnitName: EX.unitName.branch,
      rank: 3,
      members: 4,
      points: '71.00',
      hours: '37.00',
      grade: '三星',
      nextGrade: '四星',
      pointsToNextGrade: '4.00',
      volunteerStar: '一星',
      volunteerHours: '126.50',
    },
    errors: { 403: { code: 'forbidden', detail: 'only a member has a standing' } },
  },
}
