import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, problems } from '../../shared/schemas'
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
export const requestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/service-requests',
    {
      schema: {
        tags: TAGS,
        operationId: 'createServiceRequest',
        summary: "Take a resident's request (grid_worker, secretary): status open",
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
    async (request) => service.confirmServiceRequest(app.db, request.caller, request.params.id, request.body),
  )
}
