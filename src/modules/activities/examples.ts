import { EX, type OperationExamples } from '../../plugins/openapi'
import { signUpExamples } from './sign-ups-examples'

// Examples of the activities, service request and certificate operations for /docs
// (see src/plugins/openapi-examples.ts).

const zhangHours = {
  activityId: EX.activity,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  hours: '3.50',
  verified: false,
  recordedAt: '2026-12-05T14:46:15.123+08:00',
}
const liHours = {
  ...zhangHours,
  memberId: EX.member.li,
  memberName: EX.memberName.li,
  hours: '3.00',
  recordedAt: '2026-12-05T14:47:02.560+08:00',
}

/** 清理楼道小广告: a Saturday morning of the community's volunteer team, 3.5 hours. */
const activity = {
  id: EX.activity,
  orgUnitId: EX.unit.community,
  teamId: EX.team,
  title: '清理楼道小广告',
  rubricItemCode: 'ENVIRON',
  startsAt: '2026-12-05T08:30:00.000+08:00',
  endsAt: '2026-12-05T12:00:00.000+08:00',
  location: '石塔社区 1-6 号楼',
  lengthHours: '3.50',
  status: 'open',
  verifiedAt: null,
  verifiedByUserId: null,
  participantCount: 2,
  totalHours: '6.50',
  capacity: 20,
  signUpOpensAt: '2026-12-01T18:00:00.000+08:00',
  signUpClosesAt: '2026-12-04T20:00:00.000+08:00',
  visibility: 'subtree_and_registered',
  confirmedCount: 18,
  createdAt: '2026-12-01T16:20:44.305+08:00',
}
const verified = {
  ...activity,
  status: 'verified',
  verifiedAt: '2026-12-06T09:10:27.841+08:00',
  verifiedByUserId: EX.user.gridWorker,
  participants: [
    { ...zhangHours, verified: true },
    { ...liHours, verified: true },
  ],
}

const record = {
  date: '2026-12-05',
  source: 'activity',
  sourceId: EX.activity,
  title: '清理楼道小广告',
  orgUnitId: EX.unit.community,
  hours: '3.50',
}
const requestRecord = {
  date: '2026-11-21',
  source: 'service_request',
  sourceId: EX.serviceRequest,
  title: '帮独居老人更换厨房灯泡',
  orgUnitId: EX.unit.community,
  hours: '1.50',
}

/** 群众点单: a resident asks for help; dispatched to 张建国, who took it on. */
const request = {
  id: EX.serviceRequest,
  orgUnitId: EX.unit.community,
  requesterName: '周桂兰',
  requesterContact: '13705551234',
  title: '帮独居老人更换厨房灯泡',
  description: '石塔社区 4 号楼 2 单元 301，厨房吸顶灯不亮，老人行动不便，希望周末上门更换。',
  status: 'open',
  memberId: null,
  memberName: null,
  dispatchedAt: null,
  acceptedAt: null,
  completedAt: null,
  hours: null,
  completionNote: null,
  confirmedAt: null,
  rating: null,
  feedback: null,
  cancelledAt: null,
  cancelReason: null,
  declines: [],
  createdAt: '2026-11-19T10:02:36.417+08:00',
  updatedAt: '2026-11-19T10:02:36.417+08:00',
}
const dispatched = {
  ...request,
  status: 'dispatched',
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  dispatchedAt: '2026-11-19T10:30:05.118+08:00',
  updatedAt: '2026-11-19T10:30:05.118+08:00',
}
const accepted = {
  ...dispatched,
  status: 'accepted',
  acceptedAt: '2026-11-19T12:41:50.902+08:00',
  updatedAt: '2026-11-19T12:41:50.902+08:00',
}
const completed = {
  ...accepted,
  status: 'completed',
  completedAt: '2026-11-21T11:05:13.377+08:00',
  hours: '1.50',
  completionNote: '已更换 LED 吸顶灯，顺带检查了燃气软管，无老化。',
  updatedAt: '2026-11-21T11:05:13.377+08:00',
}
const confirmed = {
  ...completed,
  status: 'confirmed',
  confirmedAt: '2026-11-21T16:20:48.015+08:00',
  rating: 5,
  feedback: '小张很细心，谢谢社区！',
  updatedAt: '2026-11-21T16:20:48.015+08:00',
}
const declined = {
  ...request,
  declines: [
    { memberId: EX.member.wang, reason: '本周在外地，无法上门', at: '2026-11-19T10:21:09.660+08:00' },
  ],
  updatedAt: '2026-11-19T10:21:09.660+08:00',
}

const certificate = {
  id: EX.certificate,
  serialNumber: '2026-ST-SQ-00017',
  verificationCode: EX.verificationCode,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  maskedIdentity: '138****5678',
  from: '2026-01-01',
  to: '2026-12-31',
  totalHours: '5.00',
  records: [requestRecord, record],
  issuerOrgUnitId: EX.unit.community,
  issuerName: EX.unitName.community,
  issuedByUserId: EX.user.secretary,
  issuedByName: '刘秀珍',
  issuedAt: '2026-12-08T10:15:31.204+08:00',
}

const stepState = (status: string, step: string, needs: string) => ({
  code: 'invalid_state' as const,
  detail: `the request is ${status}; ${step} needs ${needs}`,
})
const onlyDispatchedMember = {
  code: 'forbidden' as const,
  detail: 'only the member the request is dispatched to may take this step',
}
const keyReused = {
  code: 'idempotency_key_reused' as const,
  detail: 'this Idempotency-Key was already used with a different request; use a new key for a new request',
}

export const activitiesExamples: OperationExamples = {
  ...signUpExamples,
  createActivity: {
    description: 'The activity, open for hours to be recorded',
    request: {
      orgUnitId: EX.unit.community,
      teamId: EX.team,
      title: '清理楼道小广告',
      rubricItemCode: 'ENVIRON',
      startsAt: '2026-12-05T08:30:00+08:00',
      endsAt: '2026-12-05T12:00:00+08:00',
      location: '石塔社区 1-6 号楼',
      capacity: 20,
      signUpOpensAt: '2026-12-01T18:00:00+08:00',
      signUpClosesAt: '2026-12-04T20:00:00+08:00',
      visibility: 'subtree_and_registered',
    },
    response: { ...activity, participantCount: 0, totalHours: '0.00', confirmedCount: 0, participants: [] },
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'endsAt: must be after startsAt',
        errors: [{ field: 'endsAt', message: 'must be after startsAt' }],
      },
      404: { code: 'not_found', detail: 'team not found' },
    },
  },
  listActivities: {
    description: 'A page of activities, newest first',
    response: { items: [activity], nextCursor: null },
  },
  getActivity: {
    description: 'The activity with every participant and their hours',
    response: { ...activity, participants: [zhangHours, liHours] },
  },
  recordParticipation: {
    description: {
      200: "The member's hours, replaced",
      201: "The member's hours, recorded (the member is new to the activity)",
    },
    request: { hours: '3.50' },
    response: zhangHours,
    invalid: { hours: '3.505' },
    errors: {
      404: { code: 'not_found', detail: 'member not found' },
      409: { code: 'invalid_state', detail: 'the activity is verified; its hours are final' },
      422: [
        { code: 'out_of_range', detail: "hours must not exceed the activity's length", maxHours: '3.50' },
        {
          code: 'out_of_range',
          detail:
            'the member belongs to another part of the organisation and has not registered (双报到) with this community',
        },
      ],
    },
  },
  removeParticipation: {
    description: 'The member is off the activity',
    errors: {
      404: { code: 'not_found', detail: 'participant not found' },
      409: { code: 'invalid_state', detail: 'the activity is verified; its hours are final' },
    },
  },
  verifyActivity: {
    description: 'The activity, verified: its hours are final and count as service hours',
    response: verified,
    errors: {
      403: {
        code: 'recused',
        detail: 'you took part in this activity, so someone else must verify it',
      },
      409: [
        { code: 'invalid_state', detail: 'the activity has not ended yet' },
        { code: 'invalid_state', detail: 'no participants are recorded' },
      ],
    },
  },
  getServiceHours: {
    description: "The member's verified hours in the period, with the records behind them",
    response: {
      memberId: EX.member.zhang,
      memberName: EX.memberName.zhang,
      from: '2026-01-01',
      to: '2026-12-31',
      totalHours: '5.00',
      records: [record, requestRecord],
    },
  },
  createServiceRequest: {
    description: 'The request, open: waiting to be dispatched to a member',
    request: {
      orgUnitId: EX.unit.community,
      requesterName: '周桂兰',
      requesterContact: '13705551234',
      title: '帮独居老人更换厨房灯泡',
      description: '石塔社区 4 号楼 2 单元 301，厨房吸顶灯不亮，老人行动不便，希望周末上门更换。',
    },
    response: request,
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  listServiceRequests: {
    description: 'A page of requests, newest first',
    response: { items: [accepted], nextCursor: null },
  },
  getServiceRequest: {
    description: 'The request with its history of declines',
    response: { ...dispatched, declines: declined.declines },
  },
  dispatchServiceRequest: {
    description: 'The request, dispatched to the member',
    request: { memberId: EX.member.zhang },
    response: dispatched,
    errors: {
      409: stepState('accepted', 'dispatch', 'open'),
      422: {
        code: 'out_of_range',
        detail:
          'the member belongs to another part of the organisation and has not registered (双报到) with this community',
      },
    },
  },
  acceptServiceRequest: {
    description: 'The request, accepted by the member',
    response: accepted,
    errors: { 403: onlyDispatchedMember, 409: stepState('open', 'accept', 'dispatched') },
  },
  declineServiceRequest: {
    description: 'The request, open again; the decline is remembered',
    request: { reason: '本周在外地，无法上门' },
    response: declined,
    errors: { 403: onlyDispatchedMember, 409: stepState('accepted', 'decline', 'dispatched') },
  },
  completeServiceRequest: {
    description: 'The request, completed with the hours and a note; waiting for the resident’s rating',
    request: { hours: '1.50', note: '已更换 LED 吸顶灯，顺带检查了燃气软管，无老化。' },
    response: completed,
    invalid: { hours: '1.505', note: '已更换 LED 吸顶灯' },
    errors: {
      403: onlyDispatchedMember,
      409: stepState('dispatched', 'complete', 'accepted'),
      422: {
        code: 'out_of_range',
        detail: 'one service request counts at most 24.00 hours',
        maxHours: '24.00',
      },
    },
  },
  cancelServiceRequest: {
    description: 'The request, cancelled',
    request: { reason: '居民已自行请物业维修' },
    response: {
      ...dispatched,
      status: 'cancelled',
      cancelledAt: '2026-11-20T09:12:44.530+08:00',
      cancelReason: '居民已自行请物业维修',
      updatedAt: '2026-11-20T09:12:44.530+08:00',
    },
    errors: { 409: stepState('completed', 'cancel', 'open or dispatched or accepted') },
  },
  confirmServiceRequest: {
    description:
      "The request, confirmed with the resident's rating: its hours are verified service hours now",
    request: { rating: 5, feedback: '小张很细心，谢谢社区！' },
    response: confirmed,
    invalid: { rating: 6 },
    errors: {
      403: { code: 'recused', detail: 'you did this work, so someone else must confirm it' },
      409: stepState('accepted', 'confirm', 'completed'),
    },
  },
  issueServiceCertificate: {
    description: 'The certificate, issued: serial number, verification code and the hours it attests',
    request: { from: '2026-01-01', to: '2026-12-31', orgUnitId: EX.unit.community },
    response: certificate,
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'to: must not be before from',
        errors: [{ field: 'to', message: 'must not be before from' }],
      },
      409: keyReused,
      422: {
        code: 'out_of_range',
        detail:
          "the issuing unit must be the member's home unit or above it, or a community they registered with",
      },
    },
  },
  listServiceCertificates: {
    description: "A page of the member's certificates, newest first",
    response: { items: [certificate], nextCursor: null },
  },
  getServiceCertificate: {
    description: 'The certificate as issued (hours are not recomputed)',
    response: certificate,
    errors: { 404: { code: 'not_found', detail: 'certificate not found' } },
  },
  verifyServiceCertificate: {
    description: 'The certificate is genuine: what it says, in short',
    response: {
      valid: true,
      serialNumber: certificate.serialNumber,
      memberName: EX.memberName.zhang,
      totalHours: certificate.totalHours,
      issuedAt: certificate.issuedAt,
      issuer: EX.unitName.community,
    },
    errors: {
      404: { code: 'not_found', detail: 'certificate not found' },
      429: { code: 'rate_limited', detail: 'too many attempts; retry in 1 minute' },
    },
  },
}
