import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the sign-up (报名) operations for /docs (see src/plugins/openapi-examples.ts).

/** 张建国 signed up for 清理楼道小广告 and got one of its 20 places. */
const confirmed = {
  activityId: EX.activity,
  activityTitle: '清理楼道小广告',
  activityStartsAt: '2026-12-05T08:30:00.000+08:00',
  activityEndsAt: '2026-12-05T12:00:00.000+08:00',
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  status: 'confirmed',
  position: null,
  signedUpAt: '2026-12-02T07:41:09.218+08:00',
  confirmedAt: '2026-12-02T07:41:09.218+08:00',
  cancelledAt: null,
  cancelReason: null,
  signedUpByUserId: EX.user.zhang,
}
/** 李秀英 came when the places were gone: second in the queue. */
const waitlisted = {
  ...confirmed,
  memberId: EX.member.li,
  memberName: EX.memberName.li,
  status: 'waitlisted',
  position: 2,
  signedUpAt: '2026-12-03T19:02:44.630+08:00',
  confirmedAt: null,
  signedUpByUserId: EX.user.gridWorker,
}
const cancelled = {
  ...confirmed,
  status: 'cancelled',
  cancelledAt: '2026-12-04T09:15:30.004+08:00',
  cancelReason: '周六要去医院复查',
}

export const signUpExamples: OperationExamples = {
  signUpForActivity: {
    description: {
      201: 'The sign-up: confirmed while places are free, else waitlisted with its position',
      200: 'The member had signed up already: their sign-up, unchanged',
    },
    request: { memberId: EX.member.zhang },
    response: confirmed,
    errors: {
      404: { code: 'not_found', detail: 'activity not found' },
      409: [
        { code: 'invalid_state', detail: 'sign-up closed at 2026-12-04T20:00:00.000+08:00' },
        { code: 'invalid_state', detail: 'sign-up opens at 2026-12-01T18:00:00.000+08:00' },
      ],
      422: {
        code: 'out_of_range',
        detail:
          'the member belongs to another part of the organisation and has not registered (双报到) with this community',
      },
    },
  },
  cancelSignUp: {
    description: 'The sign-up, cancelled; a confirmed place went to the first waitlisted member',
    request: { reason: '周六要去医院复查' },
    response: cancelled,
    errors: {
      404: { code: 'not_found', detail: 'sign-up not found' },
      409: { code: 'invalid_state', detail: 'the sign-up is already cancelled' },
    },
  },
  listActivitySignUps: {
    description: 'A page of sign-ups: confirmed first, then the waitlist in order',
    response: { items: [confirmed, { ...waitlisted, position: 1 }], nextCursor: null },
    errors: { 404: { code: 'not_found', detail: 'activity not found' } },
  },
  listOpenActivities: {
    description: 'A page of activities you may sign up for, the soonest first, with your own sign-up',
    response: {
      items: [
        {
          id: EX.activity,
          orgUnitId: EX.unit.branch,
          orgUnitName: EX.unitName.branch,
          title: '清理楼道小广告',
          startsAt: '2026-12-05T08:30:00.000+08:00',
          endsAt: '2026-12-05T12:00:00.000+08:00',
          location: '石塔社区 3 号楼',
          lengthHours: '3.50',
          capacity: 20,
          confirmedCount: 20,
          placesLeft: 0,
          waitlisted: 2,
          signUpOpensAt: '2026-12-01T18:00:00.000+08:00',
          signUpClosesAt: '2026-12-04T20:00:00.000+08:00',
          signUp: 'open',
          mySignUp: { status: 'waitlisted', position: 2 },
        },
        {
          id: '6f1d2c3e-8b4a-4f5e-9a7b-2c1d0e9f8a71',
          orgUnitId: EX.unit.otherCommunity,
          orgUnitName: EX.unitName.otherCommunity,
          title: '敬老院包饺子',
          startsAt: '2026-12-12T09:00:00.000+08:00',
          endsAt: '2026-12-12T11:00:00.000+08:00',
          location: null,
          lengthHours: '2.00',
          capacity: null,
          confirmedCount: 0,
          placesLeft: null,
          waitlisted: 0,
          signUpOpensAt: '2026-12-08T09:00:00.000+08:00',
          signUpClosesAt: '2026-12-12T09:00:00.000+08:00',
          signUp: 'upcoming',
          mySignUp: null,
        },
      ],
      nextCursor: null,
    },
  },
  listMySignUps: {
    description: 'A page of your sign-ups, the latest activity first',
    response: { items: [{ ...waitlisted, signedUpByUserId: EX.user.zhang }], nextCursor: null },
  },
}
