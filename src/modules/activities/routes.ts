import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { acceptNote, alsoAnswers, csvFileResponse, sendCsv, toCsv, wantsCsv } from '../../shared/csv'
import { IdParams, NoContent, problems } from '../../shared/schemas'
import { certificateRoutes } from './certificates-routes'
import { checkInRoutes } from './check-ins-routes'
import { correctionRoutes } from './corrections-routes'
import { type EvidenceHooks, NO_EVIDENCE_HOOKS } from './hooks'
import { requestRoutes } from './requests-routes'
import {
  ActivityDetail,
  ActivityPage,
  CreateActivityBody,
  ListActivitiesQuery,
  Participant,
  ParticipantParams,
  PeriodQuery,
  RecordParticipationBody,
  ServiceHours,
  type ServiceHoursRecord,
} from './schemas'
import * as service from './service'
import { signUpRoutes } from './sign-ups-routes'

const TAGS = ['activities']

/** The records behind a member's hours as CSV (getServiceHours' records, one row each). */
function sendServiceHoursCsv(reply: FastifyReply, memberId: string, hours: ServiceHours) {
  const csv = toCsv<ServiceHoursRecord>(
    [
      { header: 'date', value: (r) => r.date },
      { header: 'source', value: (r) => r.source },
      { header: 'sourceId', value: (r) => r.sourceId },
      { header: 'title', value: (r) => r.title },
      { header: 'orgUnitId', value: (r) => r.orgUnitId },
      { header: 'hours', value: (r) => r.hours },
    ],
    hours.records,
  )
  return sendCsv(reply, `service-hours-${memberId}.csv`, csv)
}

export interface ActivitiesOptions {
  /** What verifying evidence sets off in other modules (scoring's claims); none by default. */
  evidenceHooks?: EvidenceHooks
  /** The server's JWT secret, from which the check-in codes' key is derived (check-in-codes.ts). */
  checkInSecret: string
}

export const activitiesRoutes: FastifyPluginAsyncTypebox<ActivitiesOptions> = async (app, opts) => {
  const hooks = opts.evidenceHooks ?? NO_EVIDENCE_HOOKS
  app.post(
    '/activities',
    {
      schema: {
        tags: TAGS,
        operationId: 'createActivity',
        summary: 'Record a volunteer activity of a unit in your scope (secretary, grid_worker)',
        description:
          "Secretary or grid worker over `orgUnitId` (other roles: 403; outside the caller's scope: 404). " +
          'startsAt and endsAt fall in the years 2000-2100 and endsAt is after startsAt (else 400); the ' +
          "length between them caps each participant's hours. `teamId` must be a team of a unit on the " +
          "activity unit's line (the unit, above or below it), else 404. The activity starts open: " +
          'recordParticipation, then verifyActivity once it has ended; with `rubricItemCode` verification ' +
          'creates claims under that item. 201 with a Location header.',
        body: CreateActivityBody,
        response: { 201: ActivityDetail, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      const activity = await service.createActivity(app.db, request.caller, request.body)
      return reply.code(201).header('location', `/api/v1/activities/${activity.id}`).send(activity)
    },
  )

  app.get(
    '/activities',
    {
      schema: {
        tags: TAGS,
        operationId: 'listActivities',
        summary:
          'Activities of your units (or of ?orgUnitId= and below), newest first; from/to filter the start date',
        description:
          "Secretary or grid worker (other roles: 403): activities of units in the caller's scope, newest " +
          'start first, without participants (participantCount and totalHours instead). `orgUnitId` ' +
          "narrows to a subtree (outside the caller's scope: 404); `from`/`to` are service-zone dates of " +
          'startsAt, both included (to before from: 400); `status` is open or verified.',
        querystring: ListActivitiesQuery,
        response: { 200: ActivityPage, ...problems(403, 404) },
      },
    },
    async (request) => service.listActivities(app.db, request.caller, request.query),
  )

  app.get(
    '/activities/:id',
    {
      schema: {
        tags: TAGS,
        operationId: 'getActivity',
        summary: 'An activity with its participants and their hours',
        description:
          "Secretary or grid worker whose units cover the activity's unit (other roles: 403; outside the " +
          "caller's scope: 404). Each participant with their hours and whether they are verified; hours " +
          'count as service hours only once the activity is verified.',
        params: IdParams,
        response: { 200: ActivityDetail, ...problems(403, 404) },
      },
    },
    async (request) => service.getActivity(app.db, request.caller, request.params.id),
  )

  app.put(
    '/activities/:id/participants/:memberId',
    {
      schema: {
        tags: TAGS,
        operationId: 'recordParticipation',
        summary: "Record (or correct, until verified) a member's hours at an activity",
        description:
          "0 < hours <= the activity's length (422 out_of_range above it). The member must belong to the activity's " +
          'line of the organisation or have registered with its community (双报到), else 422 out_of_range. ' +
          'After verification: 409 invalid_state. 201 when the member is new to the activity, 200 when replaced.',
        params: ParticipantParams,
        body: RecordParticipationBody,
        response: { 200: Participant, 201: Participant, ...problems(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { participant, created } = await service.recordParticipation(
        app.db,
        request.caller,
        request.params.id,
        request.params.memberId,
        request.body,
      )
      return reply.code(created ? 201 : 200).send(participant)
    },
  )

  app.delete(
    '/activities/:id/participants/:memberId',
    {
      schema: {
        tags: TAGS,
        operationId: 'removeParticipation',
        summary: 'Take a member off an activity recorded by mistake, until it is verified',
        description: 'After verification: 409 invalid_state. A member with no hours recorded there: 404.',
        params: ParticipantParams,
        response: { 204: NoContent, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) => {
      await service.removeParticipation(app.db, request.caller, request.params.id, request.params.memberId)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/activities/:id/verify',
    {
      schema: {
        tags: TAGS,
        operationId: 'verifyActivity',
        summary: 'Verify all hours of an ended activity (secretary, grid_worker who did not take part)',
        description:
          'A participant is 403 recused. Verifying a verified activity changes nothing and answers it again. ' +
          'With a rubricItemCode and an active rubric, scoring creates one claim per participant (once).',
        params: IdParams,
        response: { 200: ActivityDetail, ...problems(403, 404, 409) },
      },
    },
    async (request) => service.verifyActivity(app.db, request.caller, request.params.id, hooks),
  )

  app.get(
    '/members/:id/service-hours',
    {
      schema: {
        tags: TAGS,
        operationId: 'getServiceHours',
        summary: "A member's verified service hours in a period, with the records behind them",
        description:
          'Only verified hours count: participations in verified activities and confirmed service requests. ' +
          'Dates are service-zone dates; both ends inclusive.' +
          acceptNote('text/csv', '/api/v1/members/{id}/service-hours.csv'),
        ...alsoAnswers('text/csv', 'exportServiceHoursCsv'),
        params: IdParams,
        querystring: PeriodQuery,
        response: { 200: ServiceHours, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      const hours = await service.getServiceHours(app.db, request.caller, request.params.id, request.query)
      if (!wantsCsv(request)) return reply.type('application/json').send(hours)
      return sendServiceHoursCsv(reply, request.params.id, hours)
    },
  )

  app.get(
    '/members/:id/service-hours.csv',
    {
      schema: {
        tags: TAGS,
        operationId: 'exportServiceHoursCsv',
        summary: "The records behind a member's verified service hours in a period, as CSV",
        description:
          'The records of getServiceHours (the same access and `from`/`to`), one row each: date, source, ' +
          'sourceId, title, orgUnitId, hours.',
        params: IdParams,
        querystring: PeriodQuery,
        response: { 200: csvFileResponse('The records behind the hours'), ...problems(403, 404) },
      },
    },
    async (request, reply) =>
      sendServiceHoursCsv(
        reply,
        request.params.id,
        await service.getServiceHours(app.db, request.caller, request.params.id, request.query),
      ),
  )

  await app.register(requestRoutes, { evidenceHooks: hooks })
  await app.register(certificateRoutes)
  await app.register(checkInRoutes, { secret: opts.checkInSecret })
  await app.register(correctionRoutes, { evidenceHooks: hooks })
  await app.register(signUpRoutes)
}
