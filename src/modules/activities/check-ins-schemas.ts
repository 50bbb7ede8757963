import Type, { type Static } from 'typebox'
import {
  Body,
  DateTime,
  Decimal,
  Id,
  Int32,
  NON_BLANK_TEXT_PATTERN,
  Page,
  PageQuery,
  Text,
} from '../../shared/schemas'

// 签到 / 签退 (issue 18): rotating codes at the door, check-ins and check-outs, hours from the times.

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const CheckInCode = Type.Object({
  code: Type.String({
    pattern: '^\\d{6}$',
    maxLength: 6,
    description: 'Six digits, to type in or read out; valid during its minute and the next',
  }),
  qrPayload: Type.String({
    maxLength: 100,
    description:
      'vp-checkin:<activityId>:<code>, for a QR code a phone app scans (checkIn takes it as `code`)',
  }),
  validFrom: { ...DateTime, description: 'Start of the minute (time step) the code belongs to' },
  expiresAt: {
    ...DateTime,
    description: 'After this the code is refused: the end of the step after its own',
  },
  stepSeconds: Int32(1, 3600, { description: 'How often the code changes, in seconds (60)' }),
})
export type CheckInCode = Static<typeof CheckInCode>

const Method = Type.Union([Type.Literal('code'), Type.Literal('staff')], {
  description: 'code: the member with the code at the door; staff: a secretary or grid worker for the member',
})

export const CheckIn = Type.Object({
  id: Id,
  activityId: Id,
  memberId: Id,
  memberName: Text(100, { description: 'The member name (at most 100 characters)' }),
  checkedInAt: DateTime,
  checkInMethod: Method,
  checkedInByUserId: Id,
  checkInReason: Nullable(Text(500)),
  checkedOutAt: Nullable({ ...DateTime, description: 'null while the member is in' }),
  checkOutMethod: Nullable(Method),
  checkedOutByUserId: Nullable(Id),
  checkOutReason: Nullable(Text(500)),
  hours: Nullable({
    ...Decimal,
    description:
      "Hours this stay counts, set at check-out: its time within the activity's start and end, rounded down to " +
      'a quarter of an hour (0.25); null while the member is in',
  }),
})
export type CheckIn = Static<typeof CheckIn>

export const CheckOut = Type.Object({
  ...CheckIn.properties,
  participantHours: Nullable({
    ...Decimal,
    description:
      "The member's (unverified) hours at the activity after this check-out: all their closed stays, at most " +
      "the activity's length, as recordParticipation would show them; null when the stays add up to no hours and " +
      'none were recorded',
  }),
})
export type CheckOut = Static<typeof CheckOut>

export const CheckInPage = Page(CheckIn)

const CodeInput = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[\\x20-\\x7E]+$',
  description: "The activity's current code (six digits) or its whole qrPayload as scanned",
})

/** One body for check-in and check-out: the member with `code`, or staff with `memberId` and `reason`. */
export const CheckInBody = Body(
  {
    code: Type.Optional(CodeInput),
    memberId: Type.Optional({
      ...Id,
      description: 'The member (staff, without a code); with a code it may only be your own',
    }),
    reason: Type.Optional(
      Text(500, {
        minLength: 1,
        pattern: NON_BLANK_TEXT_PATTERN,
        description: 'Why staff do it for the member (no phone, ...): required without a code',
      }),
    ),
    at: Type.Optional({
      ...DateTime,
      description:
        'Staff only: when it happened (default now); not in the future, within the check-in window of the activity',
    }),
  },
  'The member themself: {code}. Staff for a member: {memberId, reason, at?}',
)
export type CheckInBody = Static<typeof CheckInBody>

export const ListCheckInsQuery = Type.Object({
  status: Type.Optional(
    Type.Union([Type.Literal('open'), Type.Literal('closed')], {
      description: 'open: still in (no check-out); closed: left',
    }),
  ),
  memberId: Type.Optional(Id),
  ...PageQuery,
})
export type ListCheckInsQuery = Static<typeof ListCheckInsQuery>
