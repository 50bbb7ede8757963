import { EX, type OperationExamples } from '../../plugins/openapi'
import { printExamples } from './print-examples'
import { standingsExamples } from './standings-examples'

// Examples of the year-end reports for /docs (see src/plugins/openapi-examples.ts): 石塔社区's 2026.

const summary = {
  activities: 46,
  volunteers: 132,
  serviceHours: '1876.50',
  serviceRequestsCompleted: 58,
  pointsIssued: '2431.67',
  pointsDeducted: '14.00',
  pointsRedeemed: '962.50',
  redemptions: 71,
}

export const reportsExamples: OperationExamples = {
  ...standingsExamples,
  ...printExamples,
  getRanking: {
    description: `A page of the ranking, highest net points first; ties share a rank`,
    response: {
      items: [
        {
          rank: 1,
          memberId: EX.member.li,
          name: EX.memberName.li,
          points: '68.00',
          hours: '52.50',
          grade: '四星',
        },
        {
          rank: 2,
          memberId: EX.member.wang,
          name: EX.memberName.wang,
          points: '48.50',
          hours: '41.50',
          grade: '三星',
        },
        {
          rank: 2,
          memberId: EX.member.zhang,
          name: EX.memberName.zhang,
          points: '48.50',
          hours: '37.00',
          grade: '三星',
        },
      ],
      nextCursor: null,
    },
  },
  getSummary: {
    description: "The period's figures for the unit's subtree",
    response: summary,
  },
  getHoursPointsByTeam: {
    description: `A page of teams with their hours and points in the period`,
    response: {
      items: [
        {
          teamId: EX.team,
          name: '石塔社区红色志愿服务队',
          orgUnitId: EX.unit.community,
          members: 18,
          activities: 23,
          hours: '684.00',
          points: '702.33',
        },
      ],
      nextCursor: null,
    },
  },
  getHoursPointsByActivity: {
    description: `A page of the activities held in the period with their volunteers, hours and points`,
    response: {
      items: [
        {
          activityId: EX.activity,
          title: '清理楼道小广告',
          orgUnitId: EX.unit.community,
          teamId: EX.team,
          startsAt: '2026-12-05T08:30:00.000+08:00',
          status: 'verified',
          participants: 2,
          hours: '6.50',
          points: '6.33',
        },
      ],
      nextCursor: null,
    },
  },
  getMonthlyTotals: {
    description: `The summary's figures month by month, empty months as zeros`,
    response: {
      items: [
        {
          month: '2026-11',
          activities: 5,
          volunteers: 41,
          serviceHours: '212.00',
          serviceRequestsCompleted: 7,
          pointsIssued: '0.00',
          pointsDeducted: '0.00',
          pointsRedeemed: '87.50',
          redemptions: 6,
        },
        { month: '2026-12', ...summary, activities: 4, volunteers: 37, serviceHours: '168.50' },
      ],
      nextCursor: null,
    },
  },
  getRedemptionsByReward: {
    description: `A page of rewards with the redemptions handed out in the period`,
    response: {
      items: [
        {
          rewardId: EX.reward,
          name: '洗衣液 2kg',
          orgUnitId: EX.unit.community,
          pointsCost: '12.50',
          redemptions: 41,
          quantity: 44,
          points: '550.00',
        },
      ],
      nextCursor: null,
    },
  },
  listInactiveMembers: {
    description: `A page of active members with no verified hours and no points in the year`,
    response: {
      items: [
        {
          memberId: EX.member.zhao,
          name: EX.memberName.zhao,
          orgUnitId: EX.unit.otherBranch,
          orgUnitName: EX.unitName.otherBranch,
          phone: '13987654321',
        },
      ],
      nextCursor: null,
    },
  },
}
