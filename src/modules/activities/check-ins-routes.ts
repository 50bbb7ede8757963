import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, problems } from '../../shared/schemas'
import { CHECK_IN_STEP_SECONDS, CheckInCodes, checkInKey } from './check-in-codes'
import * as service from './check-ins'
import {
  CheckIn,
  CheckInBody,
  CheckInCode,
  CheckInPage,
  CheckOut,
  ListCheckInsQuery,
} from './check-ins-schemas'

const TAGS = ['activities']

const WINDOW =
  'The check-in window runs from 2 hours before the start until 2 hours after the end, while the activity is ' +
  'open (not verified); outside it, or once verified: 409 invalid_state.'

const CALLERS =
  'The member themself with `{code}` (the code of createCheckInCode or its whole qrPayload): a wrong or ' +
  'expired code is 400 validation_failed on `code`; an activity the member cannot serve at (not on their line ' +
  "of the organisation nor a 双报到 community) is 404. Or a secretary or grid worker over the activity's unit " +
  '(admin) for a member without a phone: `{memberId, reason, at?}` (reason required; `at` defaults to now, is ' +
  'not in the future and lies in the window); a member who may not serve there: 422 out_of_range (404 when ' +
  "outside the caller's scope). "

export interface CheckInRoutesOptions {
  /** The server's JWT secret: the codes' key is derived from it (HKDF), so every process gives the same codes. */
  secret: string
}

/** 签到 / 签退 (issue 18): the door's rotating code, check-in, check-out and who is in. */
export const checkInRoutes: FastifyPluginAsyncTypebox<CheckInRoutesOptions> = async (app, opts) => {
  if (!opts.secret) throw new Error('check-in routes need the server secret (checkInSecret)')
  const codes = new CheckInCodes(checkInKey(opts.secret))

  app.post(
    '/activities/:id/check-in-codes',
    {
      schema: {
        tags: TAGS,
        operationId: 'createCheckInCode',
        summary: "The activity's current check-in code and QR payload, for the door (organiser)",
        description:
          "The activity's creator, or a secretary or grid worker over its unit (other roles: 403; outside the " +
          `caller's scope: 404). The code changes every ${CHECK_IN_STEP_SECONDS} seconds and is accepted during ` +
          'its own step and the next (up to two minutes, expiresAt), so a photo of it soon stops working; ' +
          'nothing is stored, so ask again for the next one (a door screen asks every step). ' +
          WINDOW,
        params: IdParams,
        response: { 200: CheckInCode, ...problems(403, 404, 409) },
      },
    },
    async (request) => service.createCheckInCode(app.db, request.caller, request.params.id, codes),
  )

  app.post(
    '/activities/:id/check-ins',
    {
      schema: {
        tags: TAGS,
        operationId: 'checkIn',
        summary: 'Check in at an activity (签到): the member with the code, or staff for a member',
        description:
          CALLERS +
          WINDOW +
          ' One open check-in per member and activity: a second before checking out is 409 conflict. 201 with ' +
          'the check-in.',
        params: IdParams,
        body: CheckInBody,
        response: { 201: CheckIn, ...problems(403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await service.checkIn(app.db, request.caller, request.params.id, request.body, codes)),
  )

  app.post(
    '/activities/:id/check-outs',
    {
      schema: {
        tags: TAGS,
        operationId: 'checkOut',
        summary: 'Check out of an activity (签退): closes the open check-in and counts the hours',
        description:
          CALLERS +
          WINDOW +
          " The stay counts its time within the activity's start and end, rounded down to whole quarter hours " +
          "(0.25); the member's participation (unverified, as recordParticipation) becomes the sum of their " +
          "closed stays there, at most the activity's length (none while it is 0.00). No open check-in: 409 " +
          'invalid_state.',
        params: IdParams,
        body: CheckInBody,
        response: { 200: CheckOut, ...problems(403, 404, 409, 422) },
      },
    },
    async (request) => service.checkOut(app.db, request.caller, request.params.id, request.body, codes),
  )

  app.get(
    '/activities/:id/check-ins',
    {
      schema: {
        tags: TAGS,
        operationId: 'listActivityCheckIns',
        summary: "Who checked in at an activity, who has left, and each stay's hours (staff)",
        description:
          "Secretary or grid worker over the activity's unit (other roles: 403; outside the caller's scope: " +
          '404). Newest check-in first; `status` open (still in) or closed (left), `memberId` one member.',
        params: IdParams,
        querystring: ListCheckInsQuery,
        response: { 200: CheckInPage, ...problems(403, 404) },
      },
    },
    async (request) => service.listActivityCheckIns(app.db, request.caller, request.params.id, request.query),
  )
}
