import { EX, type OperationExamples } from '../../plugins/openapi'
import { checkInExamples } from './check-ins-examples'
import { correctionExamples } from './corrections-examples'
import { requestExamples } from './requests-examples'
import { signUpExamples } from './sign-ups-examples'

// Examples of the activities, service request and certificate operations for /docs
// (see src/plugins/openapi-examples.ts).

const zhangHours = {
  activityId: EX.activity,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  hours: '3.50',
  verified: false,
  verifiedHours: null,
  corrections: 0,
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
    { ...zhangHours, verified: true, verifiedHours: '3.50' },
    { ...liHours, verified: true, verifiedHours: '3.00' },
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

const certificate = {
  id: EX.certificate,
  serialNumber: '2026-ST-SQ-00017',
  verificationCode: EX.verificationCode,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  maskedIdentity: '1301**********1234',
  identityDocument: { type: 'resident_id', maskedNumber: '1301**********1234' },
  volunteerStar: '一星',
  from: '2026-01-01',
  to: '2026-12-31',
  totalHours: '5.00',
  records: [requestRecord, record],
  issuerOrgUnitId: EX.unit.community,
  issuerName: EX.unitName.community,
  issuerPersonInCharge: '陈建国',
  issuerContactPhone: '0311-8765 4321',
  issuerSealText: '石塔社区居民委员会',
  issuedByUserId: EX.user.secretary,
  issuedByName: '刘秀珍',
  issuedAt: '2026-12-08T10:15:31.204+08:00',
  requestId: EX.certificateRequest,
  revokedAt: null,
  revocationReason: null,
}

const certificateRequest = {
  id: EX.certificateRequest,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  orgUnitId: EX.unit.community,
  orgUnitName: EX.unitName.community,
  from: '2026-01-01',
  to: '2026-12-31',
  status: 'pending',
  requestedAt: '2026-12-07T19:02:11.480+08:00',
  decidedAt: null,
  decidedByUserId: null,
  declineReason: null,
  certificateId: null,
}

const keyReused = {
  code: 'idempotency_key_reused' as const,
  detail: 'this Idempotency-Key was already used with a different request; use a new key for a new request',
}

export const activitiesExamples: OperationExamples = {
  ...checkInExamples,
  ...correctionExamples,
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
  ...requestExamples,
  issueServiceCertificate: {
    description:
      "The certificate, issued from the member's request: serial number, verification code and the hours it attests",
    request: { requestId: EX.certificateRequest },
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
    description: 'The certificate is genuine: what it says, in short (revokedAt is set once it is void)',
    response: {
      valid: true,
      serialNumber: certificate.serialNumber,
      memberName: EX.memberName.zhang,
      totalHours: certificate.totalHours,
      issuedAt: certificate.issuedAt,
      issuer: EX.unitName.community,
      revokedAt: null,
    },
    errors: {
      404: { code: 'not_found', detail: 'certificate not found' },
      429: { code: 'rate_limited', detail: 'too many attempts; retry in 1 minute' },
    },
  },
  revokeServiceCertificate: {
    description: 'The certificate, now void: the public check answers valid false with revokedAt',
    request: { reason: '服务记录录入有误，已重新出具' },
    response: {
      ...certificate,
      revokedAt: '2026-12-10T09:30:12.018+08:00',
      revocationReason: '服务记录录入有误，已重新出具',
    },
    errors: {
      404: { code: 'not_found', detail: 'certificate not found' },
      409: {
        code: 'already_revoked',
        detail: 'this certificate was already revoked on 2026-12-10T09:30:12.018+08:00',
      },
    },
  },
  requestServiceCertificate: {
    description: 'The request, waiting for the community to issue or decline it',
    request: { from: '2026-01-01', to: '2026-12-31', orgUnitId: EX.unit.community },
    response: certificateRequest,
    errors: {
      404: { code: 'not_found', detail: 'org unit not found' },
      409: {
        code: 'conflict',
        detail:
          'you already asked this unit for a certificate and it has not answered yet; wait for that answer',
      },
    },
  },
  listServiceCertificateRequests: {
    description: 'A page of requests, newest first',
    response: { items: [certificateRequest], nextCursor: null },
  },
  declineServiceCertificateRequest: {
    description: 'The request, declined with the reason the member reads',
    request: { reason: '该期间本社区无您的服务记录，请向记录服务的单位申请' },
    response: {
      ...certificateRequest,
      status: 'declined',
      decidedAt: '2026-12-08T09:12:40.377+08:00',
      decidedByUserId: EX.user.secretary,
      declineReason: '该期间本社区无您的服务记录，请向记录服务的单位申请',
    },
    errors: { 409: { code: 'invalid_state', detail: 'this certificate request is already issued' } },
  },
}
