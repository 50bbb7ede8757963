import { EX, type OperationExamples, type ProblemExample } from '../../plugins/openapi'

// Examples of the check-in and check-out (签到 / 签退) operations for /docs (see src/plugins/openapi-examples.ts).

/** 张建国 scanned the code at the door of 清理楼道小广告 (08:30-12:00) at 08:24 and left at 11:52. */
const zhangIn = {
  id: '01a2f1c4-6a0e-7b3d-9c51-2e8f4d7a1b90',
  activityId: EX.activity,
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  checkedInAt: '2026-12-05T08:24:37.512+08:00',
  checkInMethod: 'code',
  checkedInByUserId: EX.user.zhang,
  checkInReason: null,
  checkedOutAt: null,
  checkOutMethod: null,
  checkedOutByUserId: null,
  checkOutReason: null,
  hours: null,
}
const zhangOut = {
  ...zhangIn,
  checkedOutAt: '2026-12-05T11:52:08.905+08:00',
  checkOutMethod: 'code',
  checkedOutByUserId: EX.user.zhang,
  hours: '3.25',
}
/** 王志强 (retired, no smartphone) was checked in by the grid worker at the door. */
const wangIn = {
  ...zhangIn,
  id: '01a2f1c6-0d3b-7e25-8a47-b61c9e30f5d2',
  memberId: EX.member.wang,
  memberName: EX.memberName.wang,
  checkedInAt: '2026-12-05T08:31:02.077+08:00',
  checkInMethod: 'staff',
  checkedInByUserId: EX.user.gridWorker,
  checkInReason: '老人没有智能手机，网格员代为签到',
}

const verified: ProblemExample = {
  code: 'invalid_state',
  detail: 'the activity is verified: check-in and check-out are over',
}
const window: ProblemExample = {
  code: 'invalid_state',
  detail:
    'a member checks in from 2 hours before the start until 2 hours after the end: 2026-12-05T06:30:00.000+08:00 to 2026-12-05T14:00:00.000+08:00',
}
const wrongCode: ProblemExample = {
  code: 'validation_failed',
  detail: 'code: is wrong or has expired: enter or scan the code shown now',
  errors: [{ field: 'code', message: 'is wrong or has expired: enter or scan the code shown now' }],
}
const notServing: ProblemExample = {
  code: 'out_of_range',
  detail:
    'the member belongs to another part of the organisation and has not registered (双报到) with this community',
}

export const checkInExamples: OperationExamples = {
  createCheckInCode: {
    description: "The activity's code of this minute, its QR payload and until when it is accepted",
    response: {
      code: '482193',
      qrPayload: `vp-checkin:${EX.activity}:482193`,
      validFrom: '2026-12-05T08:20:00.000+08:00',
      expiresAt: '2026-12-05T08:22:00.000+08:00',
      stepSeconds: 60,
    },
    errors: {
      404: { code: 'not_found', detail: 'activity not found' },
      409: [
        verified,
        {
          code: 'invalid_state',
          detail:
            'check-in codes are given from 2 hours before the start until 2 hours after the end: 2026-12-05T06:30:00.000+08:00 to 2026-12-05T14:00:00.000+08:00',
        },
      ],
    },
  },
  checkIn: {
    description: 'The open check-in',
    request: { code: '482193' },
    response: zhangIn,
    invalid: { code: '482193', note: '到了' },
    errors: {
      400: wrongCode,
      404: { code: 'not_found', detail: 'activity not found' },
      409: [
        { code: 'conflict', detail: 'the member is checked in here already; check out first' },
        window,
        verified,
      ],
      422: notServing,
    },
  },
  checkOut: {
    description:
      "The closed check-in with this stay's hours, and the member's unverified hours at the activity after it",
    request: { code: '730556' },
    response: { ...zhangOut, participantHours: '3.25' },
    invalid: { code: '730556', hours: '3.50' },
    errors: {
      400: wrongCode,
      404: { code: 'not_found', detail: 'activity not found' },
      409: [{ code: 'invalid_state', detail: 'the member is not checked in here' }, verified],
      422: notServing,
    },
  },
  listActivityCheckIns: {
    description: 'A page of check-ins, newest first',
    response: { items: [wangIn, zhangOut], nextCursor: null },
    errors: { 404: { code: 'not_found', detail: 'activity not found' } },
  },
}
