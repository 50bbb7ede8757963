import Type, { type Static } from 'typebox'
import { Body, Count, DateTime, Id, Page, PageQuery, Text } from '../../shared/schemas'

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
