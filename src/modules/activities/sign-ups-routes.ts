import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, problems } from '../../shared/schemas'
import { ParticipantParams } from './schemas'
import * as signUps from './sign-ups'
import {
  CancelSignUpBody,
  ListOpenActivitiesQuery,
  ListSignUpsQuery,
  OpenActivity,
  SignUp,
  SignUpBody,
  SignUpPage,
} from './sign-ups-schemas'

const TAGS = ['activities']

/** 报名 (issue 18): sign-up, cancellation with promotion from the waitlist, and the lists. */
export const signUpRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/activities/:id/sign-ups',
    {
      schema: {
        tags: TAGS,
        operationId: 'signUpForActivity',
        summary: 'Sign up for an activity (报名): a member for themself, or staff for a member',
        description:
          'A member signs up themself (no body, or their own `memberId`); a secretary or grid worker over the ' +
          "activity's unit names `memberId`. The member must be able to serve there: the activity's unit lies on " +
          'their home line (their unit, above or below it) or, when its `visibility` is subtree_and_registered, ' +
          'on the line of a community they registered with (双报到). To a member any other activity is 404; ' +
          'staff naming a member they see who may not serve there get 422 out_of_range, an inactive member 409. ' +
          'Within `capacity` the sign-up is `confirmed`, beyond it `waitlisted` with its `position` (1 first). ' +
          'Racing sign-ups for the last places confirm exactly `capacity`, across processes. Before ' +
          '`signUpOpensAt`, from `signUpClosesAt` (without one: from the start) or once the activity is ' +
          'verified: 409 invalid_state. 201 with the sign-up; signing up again while confirmed or waitlisted ' +
          'changes nothing and answers 200 with it; after a cancellation one may sign up again, at the back ' +
          'of the queue.',
        params: IdParams,
        body: SignUpBody,
        response: { 200: SignUp, 201: SignUp, ...problems(400, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { signUp, created } = await signUps.signUpForActivity(
        app.db,
        request.caller,
        request.params.id,
        request.body,
      )
      return reply.code(created ? 201 : 200).send(signUp)
    },
  )

  app.post(
    '/activities/:id/sign-ups/:memberId/cancel',
    {
      schema: {
        tags: TAGS,
        operationId: 'cancelSignUp',
        summary: 'Withdraw a sign-up (the member, or staff over the activity); the first waitlisted moves up',
        description:
          "The member themself, or a secretary or grid worker over the activity's unit; `reason` is optional. " +
          "A confirmed member's place goes, in the same transaction, to the first waitlisted member (by when " +
          'they queued), who gets `confirmedAt` (audit event sign_up.promoted). A cancelled sign-up: 409 ' +
          'invalid_state; a verified activity: 409. A member who never signed up there: 404.',
        params: ParticipantParams,
        body: CancelSignUpBody,
        response: { 200: SignUp, ...problems(400, 403, 404, 409) },
      },
    },
    async (request) =>
      signUps.cancelSignUp(
        app.db,
        request.caller,
        request.params.id,
        request.params.memberId,
        request.body?.reason?.trim() || null,
      ),
  )

  app.get(
    '/activities/:id/sign-ups',
    {
      schema: {
        tags: TAGS,
        operationId: 'listActivitySignUps',
        summary: "An activity's sign-ups: confirmed first, then the waitlist in order, then the cancelled",
        description:
          "Secretary or grid worker over the activity's unit (other roles: 403; outside the caller's scope: " +
          '404). `status` narrows to confirmed, waitlisted or cancelled; waitlisted sign-ups carry their ' +
          '`position`.',
        params: IdParams,
        querystring: ListSignUpsQuery,
        response: { 200: SignUpPage, ...problems(400, 403, 404) },
      },
    },
    async (request) => signUps.listActivitySignUps(app.db, request.caller, request.params.id, request.query),
  )

  app.get(
    '/me/sign-ups',
    {
      schema: {
        tags: TAGS,
        operationId: 'listMySignUps',
        summary: 'Your own sign-ups, with each activity and your status, the latest activity first',
        description:
          'For a login linked to a member (others: 403). `status` narrows to confirmed, waitlisted or cancelled.',
        querystring: ListSignUpsQuery,
        response: { 200: SignUpPage, ...problems(400, 403) },
      },
    },
    async (request) => signUps.listMySignUps(app.db, request.caller, request.query),
  )

  app.get(
    '/me/activities',
    {
      schema: {
        tags: TAGS,
        operationId: 'listOpenActivities',
        summary:
          'Activities you may sign up for (报名), open now or opening later, with places left and your sign-up',
        description:
          'For a login linked to a member (others: 403). The activities signUpForActivity would take you for: ' +
          "the activity's unit lies on your home line (your unit, above or below it) or, when its `visibility` " +
          'is subtree_and_registered, on the line of a community you registered with (双报到, accepted); not ' +
          'verified and before sign-up closes (`signUpClosesAt`, or the start). `signUp` says whether sign-up is ' +
          '`open` now or `upcoming` (opens at `signUpOpensAt`); `status` narrows to one. Each row: `placesLeft` ' +
          '(null: no limit; 0: a sign-up joins the waitlist), `waitlisted`, and `mySignUp` (your status and ' +
          'waitlist position, or null). The soonest first.',
        querystring: ListOpenActivitiesQuery,
        response: { 200: Page(OpenActivity), ...problems(400, 403) },
      },
    },
    async (request) => signUps.listOpenActivities(app.db, request.caller, request.query),
  )
}
