import { EX, type OperationExamples } from '../../plugins/openapi'
import { resultsPdfExamples } from './results-pdf-examples'

// Examples of the claims, scoring round and objection operations for /docs
// (see src/plugins/openapi-examples.ts). The story: 张建国's 3.5 hours at 清理楼道小广告 became a claim under
// ENVIRON (人居环境整治, 1.00 point an hour); the branch's December round scored it, closed on 7 December and
// kept the results on the notice board (公示) until 10 December 00:00.

const [p1, p2, p3] = EX.user.panelists

const claim = {
  id: EX.claim,
  memberId: EX.member.zhang,
  orgUnitId: EX.unit.branch,
  rubricId: EX.rubric,
  itemCode: 'ENVIRON',
  kind: 'award',
  occurredOn: '2026-12-05',
  quantity: '3.50',
  ceiling: '3.50',
  description: '清理楼道小广告（石塔社区 1-6 号楼），服务 3.5 小时',
  evidence: { activityIds: [EX.activity], serviceRequestIds: [], links: [] },
  source: 'activity',
  status: 'submitted',
  roundId: null,
  result: null,
  awarded: null,
  cappedAmount: null,
  capReason: null,
  ledgerTransactionId: null,
  batchId: null,
  createdAt: '2026-12-06T09:10:27.841+08:00',
  updatedAt: '2026-12-06T09:10:27.841+08:00',
}
const manualClaim = {
  ...claim,
  id: EX.otherClaim,
  itemCode: 'CARE',
  occurredOn: '2026-11-28',
  quantity: '2.00',
  ceiling: '6.00',
  description: '两次上门陪同独居老人周桂兰到社区医院复诊',
  evidence: {
    activityIds: [],
    serviceRequestIds: [],
    links: ['https://shita.example.cn/photos/2026-11-28-care.jpg'],
  },
  source: 'manual',
  createdAt: '2026-11-29T20:14:51.602+08:00',
  updatedAt: '2026-11-29T20:14:51.602+08:00',
}
const posted = {
  ...claim,
  status: 'posted',
  roundId: EX.round,
  result: '3.33',
  awarded: '3.33',
  ledgerTransactionId: EX.tx.award,
  updatedAt: '2026-12-10T09:00:00.000+08:00',
}

const BATCH = '0193a7c2-5d10-7e44-9a51-2f6c0b8e4d17'
const meetingClaim = (id: string, memberId: string) => ({
  ...claim,
  id,
  memberId,
  itemCode: 'MEETING',
  occurredOn: '2026-12-04',
  quantity: '1.00',
  ceiling: '2.00',
  description: '参加12月主题党日（学习党的二十届四中全会精神）',
  evidence: { activityIds: [], serviceRequestIds: [], links: [] },
  source: 'manual',
  batchId: BATCH,
  createdAt: '2026-12-05T16:02:11.418+08:00',
  updatedAt: '2026-12-05T16:02:11.418+08:00',
})

const myScore = { time: 5, content: 4, quality: 5, points: '3.50', comment: '清理彻底，拍照留档完整' }
const round = {
  id: EX.round,
  orgUnitId: EX.unit.branch,
  rubricId: EX.rubric,
  periodStart: '2026-11-01',
  periodEnd: '2026-12-06',
  panelUserIds: [p1, p2, p3],
  quorum: 2,
  aggregation: 'mean',
  publicityDays: 2,
  divergenceThreshold: null,
  status: 'scoring',
  claimCount: 2,
  claims: [
    {
      claimId: EX.claim,
      memberId: EX.member.zhang,
      itemCode: 'ENVIRON',
      ceiling: '3.50',
      status: 'scoring',
      scoreCount: 2,
      scoredByMe: true,
      myScore,
      recused: false,
      detail: {
        memberName: EX.memberName.zhang,
        occurredOn: claim.occurredOn,
        quantity: claim.quantity,
        description: claim.description,
        source: 'activity',
        evidence: {
          activities: [{ id: EX.activity, title: '清理楼道小广告', date: '2026-12-05', hours: '3.50' }],
          serviceRequests: [],
          links: [],
        },
      },
    },
    {
      claimId: EX.otherClaim,
      memberId: EX.member.li,
      itemCode: 'CARE',
      ceiling: '6.00',
      status: 'scoring',
      scoreCount: 1,
      scoredByMe: false,
      myScore: null,
      recused: false,
      detail: {
        memberName: EX.memberName.li,
        occurredOn: '2026-11-28',
        quantity: '2.00',
        description: '两次上门帮助独居老人：更换厨房灯泡，陪同到社区医院复诊',
        source: 'manual',
        evidence: {
          activities: [],
          serviceRequests: [
            {
              id: EX.serviceRequest,
              title: '帮独居老人更换厨房灯泡',
              completedOn: '2026-11-21',
              hours: '1.50',
              rating: 5,
            },
          ],
          links: ['https://shita.example.cn/photos/2026-11-28-care.jpg'],
        },
      },
    },
  ],
  closedAt: null,
  publicityEndsAt: null,
  finalizedAt: null,
  createdAt: '2026-12-06T15:02:18.446+08:00',
}
const inPublicity = {
  ...round,
  status: 'publicity',
  claims: round.claims.map((c) => ({ ...c, status: 'scored', scoreCount: 3 })),
  closedAt: '2026-12-07T09:30:00.000+08:00',
  publicityEndsAt: '2026-12-10T00:00:00.000+08:00',
}
const { claims: _claims, ...summary } = inPublicity

const objection = {
  id: EX.objection,
  claimId: EX.claim,
  roundId: EX.round,
  memberId: EX.member.wang,
  reason: '1 号楼的小广告当天并未清理完，3.5 小时偏多',
  status: 'open',
  reply: null,
  createdAt: '2026-12-08T19:40:12.907+08:00',
  resolvedAt: null,
}
const upheld = {
  ...objection,
  status: 'upheld',
  reply: '经核实，1 号楼次日已补清，活动签到记录为 8:30-12:00，结果维持',
  resolvedAt: '2026-12-09T10:05:36.218+08:00',
}

const score = (panelistUserId: string, points: string, comment: string | null) => ({
  panelistUserId,
  time: 5,
  content: 4,
  quality: points === '3.50' ? 5 : 4,
  points,
  comment,
})
const result = {
  claimId: EX.claim,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  itemCode: 'ENVIRON',
  status: 'scored',
  ceiling: '3.50',
  result: '3.33',
  spread: '0.50',
  divergent: false,
  awarded: null,
  cappedAmount: null,
  capReason: null,
  scores: [
    score(p1 as string, '3.50', '清理彻底，拍照留档完整'),
    score(p2 as string, '3.50', null),
    score(p3 as string, '3.00', '1 号楼有遗漏'),
  ],
  objections: [
    {
      id: upheld.id,
      reason: upheld.reason,
      status: upheld.status,
      reply: upheld.reply,
      createdAt: upheld.createdAt,
      resolvedAt: upheld.resolvedAt,
    },
  ],
}

const notOnNotice = {
  code: 'invalid_state' as const,
  detail: 'objections are filed only while the result is on public notice',
}

export const scoringExamples: OperationExamples = {
  ...resultsPdfExamples,
  createClaim: {
    description: 'The claim, submitted: the next round of its unit and period takes it in',
    request: {
      memberId: EX.member.zhang,
      rubricId: EX.rubric,
      itemCode: 'CARE',
      occurredOn: '2026-11-28',
      quantity: 2,
      description: '两次上门陪同独居老人周桂兰到社区医院复诊',
      evidence: { links: ['https://shita.example.cn/photos/2026-11-28-care.jpg'] },
    },
    response: manualClaim,
    invalid: {
      memberId: EX.member.zhang,
      rubricId: EX.rubric,
      itemCode: 'CARE',
      occurredOn: '2026-11-31',
      description: '陪同复诊',
    },
    errors: {
      403: { code: 'forbidden', detail: 'deductions are recorded by a secretary over the member' },
      404: { code: 'not_found', detail: 'member not found' },
      409: [
        { code: 'invalid_state', detail: 'claims are made under an active rubric' },
        {
          code: 'conflict',
          detail: `already claimed under ENVIRON: ${EX.activity}`,
          claimedEvidenceIds: [EX.activity],
        },
      ],
    },
  },
  listClaims: {
    description: 'A page of claims, newest first',
    response: { items: [manualClaim, claim], nextCursor: null },
  },
  getClaim: {
    description: 'The claim, with its result and what was posted once its round is finalized',
    response: posted,
  },
  createClaimsBatch: {
    description: 'The batch: one submitted claim per member, in the order of memberIds',
    request: {
      rubricId: EX.rubric,
      itemCode: 'MEETING',
      occurredOn: '2026-12-04',
      quantity: 1,
      description: '参加12月主题党日（学习党的二十届四中全会精神）',
      memberIds: [EX.member.zhang, EX.member.li],
    },
    response: {
      batchId: BATCH,
      count: 2,
      claims: [
        meetingClaim('0193a7c2-5d11-7a01-8c3e-61f0d2b9a4c5', EX.member.zhang),
        meetingClaim('0193a7c2-5d11-7a02-b7d4-0e8a3c5f1b96', EX.member.li),
      ],
    },
    invalid: {
      rubricId: EX.rubric,
      itemCode: 'MEETING',
      occurredOn: '2026-12-04',
      description: '主题党日',
      memberIds: [],
    },
    errors: {
      403: { code: 'forbidden', detail: 'your roles do not allow this action' },
      409: [
        { code: 'invalid_state', detail: 'claims are made under an active rubric' },
        {
          code: 'idempotency_key_reused',
          detail:
            'this Idempotency-Key was already used with a different request; use a new key for a new request',
        },
      ],
    },
  },
  withdrawClaim: {
    description: 'The claim, withdrawn',
    response: { ...manualClaim, status: 'withdrawn', updatedAt: '2026-11-30T08:12:40.075+08:00' },
    errors: {
      403: { code: 'forbidden', detail: 'only the claimant or a secretary withdraws a claim' },
      409: { code: 'invalid_state', detail: 'a claim is withdrawn only while submitted; it is scoring' },
    },
  },
  createScoringRound: {
    description: 'The round, scoring: it took in the submitted claims of the unit and period',
    request: {
      orgUnitId: EX.unit.branch,
      rubricId: EX.rubric,
      periodStart: '2026-11-01',
      periodEnd: '2026-12-06',
      panelUserIds: [p1, p2, p3],
      quorum: 2,
      aggregation: 'mean',
      publicityDays: 2,
    },
    response: {
      ...round,
      claims: round.claims.map((c) => ({ ...c, scoreCount: 0, scoredByMe: false, myScore: null })),
    },
    errors: {
      400: {
        code: 'validation_failed',
        detail:
          'publicityDays: must be at least 3: results stay on the notice board (公示) at least that long here',
        errors: [
          {
            field: 'publicityDays',
            message: 'must be at least 3: results stay on the notice board (公示) at least that long here',
          },
        ],
      },
      409: {
        code: 'invalid_state',
        detail: 'no submitted claim of this unit and period is waiting for a round',
      },
    },
  },
  listScoringRounds: {
    description: 'A page of rounds, newest first (without their claims)',
    response: { items: [summary], nextCursor: null },
  },
  getScoringRound: {
    description:
      'The round with its claims, as the panel reads it: each member’s name, the claim and its evidence ' +
      '(activities with the member’s hours, service requests with completion and rating), how many scores ' +
      'each has, and your own (values stay hidden until close)',
    response: round,
  },
  submitScore: {
    description: 'Your score of the claim, as it stands until close',
    request: myScore,
    response: {
      claimId: EX.claim,
      panelistUserId: p1,
      ...myScore,
      updatedAt: '2026-12-06T20:31:09.502+08:00',
    },
    invalid: { ...myScore, points: '3.505' },
    errors: {
      403: [
        { code: 'forbidden', detail: 'you are not on this round’s panel' },
        { code: 'recused', detail: 'nobody scores a claim of their own member record' },
      ],
      404: { code: 'not_found', detail: 'claim not found' },
      409: {
        code: 'invalid_state',
        detail: 'scores are given while the claim is being scored; it is scored',
      },
      422: {
        code: 'out_of_range',
        detail: 'points must lie between 0.00 and 3.50',
        min: '0.00',
        max: '3.50',
      },
    },
  },
  closeScoring: {
    description: 'The round, closed: results computed and on the notice board (公示) until publicityEndsAt',
    response: inPublicity,
    errors: {
      409: [
        {
          code: 'quorum_not_met',
          detail: `1 claim(s) lack the quorum: ${EX.otherClaim} (1/2)`,
          claimIds: [EX.otherClaim],
          claims: [{ claimId: EX.otherClaim, scores: 1, required: 2 }],
        },
        { code: 'invalid_state', detail: 'the round is publicity, not scoring' },
      ],
    },
  },
  getRoundResults: {
    description: 'A page of results with every panel score and objection',
    response: { items: [result], nextCursor: null },
    errors: { 409: { code: 'invalid_state', detail: 'results exist once the panel’s scoring is closed' } },
  },
  exportRoundResultsCsv: {
    errors: { 409: { code: 'invalid_state', detail: 'results exist once the panel’s scoring is closed' } },
  },
  fileObjection: {
    description: 'The objection, open until the secretary answers it',
    request: { reason: objection.reason },
    response: objection,
    errors: {
      403: { code: 'forbidden', detail: 'objections are filed by members of the branch' },
      404: { code: 'not_found', detail: 'claim not found' },
      409: [notOnNotice, { code: 'conflict', detail: 'you already have an open objection to this result' }],
    },
  },
  listObjections: {
    description: "The round's objections, oldest first (all in one page)",
    response: { items: [objection], nextCursor: null },
    errors: { 404: { code: 'not_found', detail: 'scoring round not found' } },
  },
  resolveObjection: {
    description: 'The objection, answered',
    request: { decision: 'upheld', reply: upheld.reply },
    response: upheld,
    invalid: { decision: 'rejected', reply: upheld.reply },
    errors: { 409: { code: 'invalid_state', detail: 'the objection is already upheld' } },
  },
  finalizeRound: {
    description: 'The round, finalized: how many ledger transactions were posted and their net points',
    response: { posted: 2, totalPoints: '8.33' },
    errors: {
      409: [
        {
          code: 'invalid_state',
          detail: 'publicity runs until 2026-12-10T00:00:00.000+08:00',
        },
        { code: 'invalid_state', detail: '1 objection(s) are still open', objectionIds: [EX.objection] },
        {
          code: 'idempotency_key_reused',
          detail:
            'this Idempotency-Key was already used with a different request; use a new key for a new request',
        },
      ],
    },
  },
}
