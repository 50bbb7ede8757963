import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, problems } from '../../shared/schemas'
import type { EvidenceHooks } from './hooks'
import * as service from './requests'
import {
  CancelBody,
  CompleteBody,
  ConfirmBody,
  CreateServiceRequestBody,
  DeclineBody,
  DispatchBody,
  ListServiceRequestsQuery,
  ServiceRequest,
  ServiceRequestPage,
} from './schemas'

const TAGS = ['service requests']
const STEP_PROBLEMS = problems(403, 404, 409)

/** 群众点单 > 社区派单 > 党员接单: open > dispatched > accepted > completed > confirmed (or cancelled). */
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
        summary: "Take a resident's request (grid_worker, secretary): status open",
        description:
          "Grid worker or secretary over `orgUnitId` (other roles: 403; outside the caller's scope: 404). " +
          "Records the resident's request (requesterName, optional contact, title, description) with " +
          'status open; next, dispatchServiceRequest to a member. 201 with a Location header.',
        body: CreateServiceRequestBody,
        response: { 201: ServiceRequest, ...problems(403, 404) },
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
          'requests assigned to them (one they declined is no longer theirs); a user with neither: 403. ' +
          'Filters: `orgUnitId` (a subtree; for staff, outside their scope: 404), `status`, `memberId`. ' +
          'Newest first, each with its declines.',
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
        summary: 'One request with its history of declines (staff in scope, or the member it went to)',
        description:
          "Staff (grid worker, secretary) over the request's unit, the member it is assigned to, or a " +
          'member who declined it before; anyone else: 404; a user with no staff role and no member ' +
          'record: 403. `declines` lists every decline with the member, the reason and the time.',
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
        summary: 'Dispatch an open request to one member (grid_worker, secretary): dispatched',
        description:
          "The member must belong to the request's line of the organisation or have registered with its community (双报到), else 422 out_of_range.",
        params: IdParams,
        body: DispatchBody,
        response: { 200: ServiceRequest, ...problems(403, 404, 409, 422) },
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
        summary: 'The dispatched member takes the request on: accepted',
        description:
          'Only the member the request is dispatched to. Staff over the request who are not that member: ' +
          '403; anyone else: 404. The request must be dispatched, and to the caller: else 409 ' +
          'invalid_state (also for a member who declined it earlier). Next: completeServiceRequest.',
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
        summary: 'The dispatched member turns it down: open again, the decline remembered',
        description:
          'Only the member the request is dispatched to, as for accept (staff over it: 403; anyone else: ' +
          '404; not dispatched to the caller: 409 invalid_state). The request is open again with no ' +
          'member; the decline (member, optional reason, time) stays in `declines`, and the request can be ' +
          'dispatched again.',
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
        description: '0 < hours <= 24.00 (one request is one visit): above it 422 out_of_range.',
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
          '404). Allowed while open, dispatched or accepted; once completed, confirmed or cancelled: 409 ' +
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
        summary: "Record the resident's rating (1-5): confirmed, and the hours become verified service hours",
        description:
          'The member who did the work may not confirm it (403 recused). Any other order: 409 invalid_state.',
        params: IdParams,
        body: ConfirmBody,
        response: { 200: ServiceRequest, ...STEP_PROBLEMS },
      },
    },
    async (request) =>
      service.confirmServiceRequest(app.db, request.caller, request.params.id, request.body, hooks),
  )
}
