import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, problems } from '../../shared/schemas'
import type { EvidenceHooks } from './hooks'
import * as service from './requests'
import {
  BoardPage,
  BoardQuery,
  CancelBody,
  CompleteBody,
  ConfirmBody,
  CreateServiceRequestBody,
  DeclineBody,
  DispatchBody,
  ListMyServiceRequestsQuery,
  ListServiceRequestsQuery,
  ServiceRequest,
  ServiceRequestPage,
} from './requests-schemas'

const TAGS = ['service requests']
const STEP_PROBLEMS = problems(403, 404, 409)

/**
 * 群众点单 > 社区派单 > 党员接单: open > dispatched (to a member or a team) > accepted > completed > confirmed, or
 * open > published (the community's board) > accepted (a member takes it) > ...; cancelled before completion.
 */
export const requestRoutes: FastifyPluginAsyncTypebox<{ evidenceHooks: EvidenceHooks }> = async (
  app,
  opts,
) => {
  const hooks = opts.evidenceHooks
  app.post(
    '/service-requests',
    {
      schema: {
        tags: TAGS,
        operationId: 'createServiceRequest',
        summary: "A resident's request or 微心愿, placed by the resident or keyed in by staff: status open",
        description:
          "Grid worker or secretary over `orgUnitId` (other roles: 403; outside the caller's scope: 404) record " +
          "a resident's request (orgUnitId and requesterName required, optional contact). A resident places " +
          'their own at their community: orgUnitId may be left out (another unit: 404), and name and phone ' +
          'come from their record (giving requesterName or requesterContact: 400). `kind` is service ' +
          '(default) or wish (微心愿). Status open; next, dispatchServiceRequest or publishServiceRequest. ' +
          '201 with a Location header.',
        body: CreateServiceRequestBody,
        response: { 201: ServiceRequest, ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const created = await service.createServiceRequest(app.db, request.caller, request.body)
      return reply.code(201).header('location', `/api/v1/service-requests/${created.id}`).send(created)
    },
  )

  app.get(
    '/service-requests',
    {
      schema: {
        tags: TAGS,
        operationId: 'listServiceRequests',
        summary: 'Requests of your units (staff) or dispatched to you (member), newest first',
        description:
          'Staff (grid worker, secretary) see the requests of units in their scope, and a member the ' +
          'requests assigned to or taken by them, and those dispatched to a team of theirs that nobody has ' +
          'accepted yet (one they declined is no longer theirs); a user with neither (a resident too: ' +
          'listMyServiceRequests): 403. Filters: `orgUnitId` (a subtree; for staff, outside their scope: ' +
          '404), `status`, `kind`, `memberId`. Newest first, each with its declines.',
        querystring: ListServiceRequestsQuery,
        response: { 200: ServiceRequestPage, ...problems(403, 404) },
      },
    },
    async (request) => service.listServiceRequests(app.db, request.caller, request.query),
  )

  app.get(
    '/service-requests/:id',
    {
      schema: {
        tags: TAGS,
        operationId: 'getServiceRequest',
        summary: 'One request with its history (staff in scope, the member or team it went to, its resident)',
        description:
          "Staff (grid worker, secretary) over the request's unit, the member it is assigned to or taken by, " +
          'a member of the team it was dispatched to, a member who declined it before, or the resident who ' +
          'placed it (without `declines`); anyone else, another resident too: 404; a user with no staff ' +
          'role, no member and no resident record: 403. `declines` lists every decline with the member, ' +
          'the reason and the time.',
        params: IdParams,
        response: { 200: ServiceRequest, ...problems(403, 404) },
      },
    },
    async (request) => service.getServiceRequest(app.db, request.caller, request.params.id),
  )

  app.post(
    '/service-requests/:id/dispatch',
    {
      schema: {
        tags: TAGS,
        operationId: 'dispatchServiceRequest',
        summary: 'Dispatch an open request to one member or to a team (grid_worker, secretary): dispatched',
        description:
          'Exactly one of `memberId` and `teamId` (both or neither: 400). The member must belong to the ' +
          "request's line of the organisation or have registered with its community (双报到), a team's unit " +
          'must lie on that line; else 422 out_of_range (404 for a member or team outside your scope). ' +
          'Dispatched to a team, any member of it may accept (the first one gets it).',
        params: IdParams,
        body: DispatchBody,
        response: { 200: ServiceRequest, ...problems(400, 403, 404, 409, 422) },
      },
    },
    async (request) =>
      service.dispatchServiceRequest(app.db, request.caller, request.params.id, request.body),
  )

  app.post(
    '/service-requests/:id/accept',
    {
      schema: {
        tags: TAGS,
        operationId: 'acceptServiceRequest',
        summary: 'The dispatched member (or a member of the dispatched team) takes the request on: accepted',
        description:
          'Only the member the request is dispatched to, or, dispatched to a team, any member of it: one ' +
          'conditional update, so the first wins and the others get 409 invalid_state. Staff over the ' +
          'request who are not such a member: 403; anyone else: 404. The request must be dispatched, and ' +
          'to the caller or their team: else 409 invalid_state (also for a member who declined it). ' +
          'Next: completeServiceRequest.',
        params: IdParams,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) => service.acceptServiceRequest(app.db, request.caller, request.params.id),
  )

  app.post(
    '/service-requests/:id/decline',
    {
      schema: {
        tags: TAGS,
        operationId: 'declineServiceRequest',
        summary: 'The dispatched member turns it down: open again (a team: once all declined), remembered',
        description:
          'Only the member the request is dispatched to, as for accept (staff over it: 403; anyone else: ' +
          '404; not dispatched to the caller: 409 invalid_state). The request is open again with no ' +
          'member; the decline (member, optional reason, time) stays in `declines`, and the request can be ' +
          'dispatched again. Dispatched to a team, a member declines for themself only: the request stays ' +
          'dispatched to the team for the others (the decliner may no longer accept it; a second decline: ' +
          '409), and is open again once every active member of the team has declined.',
        params: IdParams,
        body: DeclineBody,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) => service.declineServiceRequest(app.db, request.caller, request.params.id, request.body),
  )

  app.post(
    '/service-requests/:id/complete',
    {
      schema: {
        tags: TAGS,
        operationId: 'completeServiceRequest',
        summary: 'The member reports the work done with hours and a note: completed',
        description:
          'Only the member who accepted or took it (staff over it: 403; anyone else: 404). 0 < hours <= ' +
          '24.00 (one request is one visit): above it 422 out_of_range. A wish records hours too: the time ' +
          'spent getting and bringing the thing.',
        params: IdParams,
        body: CompleteBody,
        response: { 200: ServiceRequest, ...problems(403, 404, 409, 422) },
      },
    },
    async (request) =>
      service.completeServiceRequest(app.db, request.caller, request.params.id, request.body),
  )

  app.post(
    '/service-requests/:id/cancel',
    {
      schema: {
        tags: TAGS,
        operationId: 'cancelServiceRequest',
        summary: 'Cancel a request before completion, with a reason (grid_worker, secretary): cancelled',
        description:
          "Grid worker or secretary over the request's unit (other roles: 403; outside the caller's scope: " +
          '404). Allowed while open, published, dispatched or accepted; once completed, confirmed or ' +
          'cancelled: 409 ' +
          'invalid_state. `reason` must not be blank (400). Cancelled is final.',
        params: IdParams,
        body: CancelBody,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) => service.cancelServiceRequest(app.db, request.caller, request.params.id, request.body),
  )

  app.post(
    '/service-requests/:id/confirm',
    {
      schema: {
        tags: TAGS,
        operationId: 'confirmServiceRequest',
        summary: "The resident's rating (1-5): confirmed, and the hours become verified service hours",
        description:
          'The resident who placed the request rates it themself (another resident: 404), or staff (grid ' +
          "worker, secretary) over the request's unit record the rating (outside their scope: 404; " +
          'members: 403). The member who did the work may not confirm it (403 recused). Not completed: 409 ' +
          'invalid_state. Scoring then drafts the ORDER claim of the member, as for any confirmed request.',
        params: IdParams,
        body: ConfirmBody,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) =>
      service.confirmServiceRequest(app.db, request.caller, request.params.id, request.body, hooks),
  )

  app.get(
    '/me/service-requests',
    {
      schema: {
        tags: TAGS,
        operationId: 'listMyServiceRequests',
        summary: 'My requests: a resident the ones they placed, a member their work; newest first',
        description:
          'A resident sees the requests they placed themself, with status and times (no declines); a member ' +
          'the requests dispatched to or taken by them and those dispatched to a team of theirs that nobody ' +
          'has accepted yet (as listServiceRequests shows a member). A user who is neither: 403. Filters: ' +
          '`status`, `kind`.',
        querystring: ListMyServiceRequestsQuery,
        response: { 200: ServiceRequestPage, ...problems(403) },
      },
    },
    async (request) => service.listMyServiceRequests(app.db, request.caller, request.query),
  )

  app.get(
    '/service-requests/board',
    {
      schema: {
        tags: TAGS,
        operationId: 'listServiceRequestBoard',
        summary: "The community's board: published requests and wishes a member may take",
        description:
          'A member sees the published requests of the units they may serve in: their line of the ' +
          'organisation and the communities they registered with (双报到); staff (grid worker, secretary) ' +
          'those of their units. Without contact or resident, the requester named by family name only ' +
          '(周**): the member who takes it sees the whole request. Anyone else (a resident too): 403. ' +
          '`orgUnitId` narrows to a subtree (a unit you may not serve or see: 404), `kind` to services or ' +
          'wishes. Most recently published first.',
        querystring: BoardQuery,
        response: { 200: BoardPage, ...problems(403, 404) },
      },
    },
    async (request) => service.listServiceRequestBoard(app.db, request.caller, request.query),
  )

  app.post(
    '/service-requests/:id/publish',
    {
      schema: {
        tags: TAGS,
        operationId: 'publishServiceRequest',
        summary: "Put an open request on the community's board (grid_worker, secretary): published",
        description:
          "Grid worker or secretary over the request's unit (other roles: 403; outside the caller's scope: " +
          '404). Only an open request (else 409 invalid_state). Any member who may serve there then takes ' +
          'it (takeServiceRequest); unpublishServiceRequest takes it off the board, cancelServiceRequest ' +
          'cancels it.',
        params: IdParams,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) => service.publishServiceRequest(app.db, request.caller, request.params.id),
  )

  app.post(
    '/service-requests/:id/unpublish',
    {
      schema: {
        tags: TAGS,
        operationId: 'unpublishServiceRequest',
        summary: 'Take a request nobody took off the board (grid_worker, secretary): open again',
        description:
          "Grid worker or secretary over the request's unit (other roles: 403; outside the caller's scope: " +
          '404). Only a published request (taken already: 409 invalid_state). Open again: to dispatch, or ' +
          'to publish later.',
        params: IdParams,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) => service.unpublishServiceRequest(app.db, request.caller, request.params.id),
  )

  app.post(
    '/service-requests/:id/take',
    {
      schema: {
        tags: TAGS,
        operationId: 'takeServiceRequest',
        summary: 'A member takes a request off the board: accepted, theirs (the first one wins)',
        description:
          "A member who may serve at the request's unit (their line of the organisation or a 双报到 " +
          'community; anyone else: 404; a user with no member record: 403). One conditional update: of ' +
          'members racing for it, in any process, the first gets it and the rest 409 invalid_state, as does ' +
          'a request not on the board. An inactive member: 409. Next: completeServiceRequest.',
        params: IdParams,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) => service.takeServiceRequest(app.db, request.caller, request.params.id),
  )
}
