import Type, { type Static } from 'typebox'
import { Body, Count, DateTime, Decimal, Id, Page, PageQuery, Text } from '../../shared/schemas'

// 报名 (issue 18): members sign up for activities, within capacity or on the waitlist.

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const SignUpStatus = Type.Union(
  [Type.Literal('confirmed'), Type.Literal('waitlisted'), Type.Literal('cancelled')],
  { description: 'confirmed: has a place; waitlisted: in the queue for one; cancelled: withdrawn' },
)

export const SignUp = Type.Object({
  activityId: Id,
  activityTitle: Text(200),
  activityStartsAt: DateTime,
  activityEndsAt: DateTime,
  memberId: Id,
  memberName: Text(100, { description: 'The member name (at most 100 characters)' }),
  status: SignUpStatus,
  position: Nullable({
    ...Count('Place in the waitlist, 1 first (computed when read); null unless waitlisted'),
    minimum: 1,
  }),
  signedUpAt: {
    ...DateTime,
    description: 'When the member joined the queue (signing up again after cancelling starts a new turn)',
  },
  confirmedAt: Nullable({ ...DateTime, description: 'When the member got a place (at once or promoted)' }),
  cancelledAt: Nullable(DateTime),
  cancelReason: Nullable(Text(500)),
  signedUpByUserId: Id,
})
export type SignUp = Static<typeof SignUp>

export const SignUpPage = Page(SignUp)

export const SignUpBody = Type.Union(
  [
    Body({
      memberId: Type.Optional({
        ...Id,
        description: 'The member to sign up (staff); omitted or your own: yourself',
      }),
    }),
    Type.Null(),
  ],
  { description: 'optional' },
)
export type SignUpBody = Static<typeof SignUpBody>

export const CancelSignUpBody = Type.Union(
  [Body({ reason: Type.Optional(Text(500, { minLength: 1 })) }), Type.Null()],
  {
    description: 'optional',
  },
)
export type CancelSignUpBody = Static<typeof CancelSignUpBody>

export const ListSignUpsQuery = Type.Object({
  status: Type.Optional(SignUpStatus),
  ...PageQuery,
})
export type ListSignUpsQuery = Static<typeof ListSignUpsQuery>

// ---- activities a member may sign up for (listOpenActivities)

export const OpenActivityState = Type.Union([Type.Literal('open'), Type.Literal('upcoming')], {
  description: 'open: sign-up is open now; upcoming: it opens at signUpOpensAt',
})

export const OpenActivity = Type.Object({
  id: Id,
  orgUnitId: Id,
  orgUnitName: Text(200),
  title: Text(200),
  startsAt: DateTime,
  endsAt: DateTime,
  location: Nullable(Text(200)),
  lengthHours: Decimal,
  capacity: Nullable({ ...Count('Places (null: no limit)'), minimum: 1 }),
  confirmedCount: Count('Confirmed sign-ups'),
  placesLeft: Nullable(Count('capacity - confirmedCount; null without a limit; 0: a sign-up is waitlisted')),
  waitlisted: Count('Sign-ups waiting for a place'),
  signUpOpensAt: Nullable(DateTime),
  signUpClosesAt: { ...DateTime, description: 'When sign-up closes (without a set time: the start)' },
  signUp: OpenActivityState,
  mySignUp: Nullable(
    Type.Object(
      {
        status: SignUpStatus,
        position: Nullable({
          ...Count('Place in the waitlist, 1 first; null unless waitlisted'),
          minimum: 1,
        }),
      },
      { description: 'Your sign-up (a cancelled one may be made again); null: you have not signed up' },
    ),
  ),
})
export type OpenActivity = Static<typeof OpenActivity>

export const ListOpenActivitiesQuery = Type.Object({
  status: Type.Optional(OpenActivityState),
  ...PageQuery,
})
export type ListOpenActivitiesQuery = Static<typeof ListOpenActivitiesQuery>
