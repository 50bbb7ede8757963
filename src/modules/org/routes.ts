import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, problems } from '../../shared/schemas'
import { CreateOrgUnitBody, ListOrgUnitsQuery, OrgUnit, OrgUnitPage, UpdateOrgUnitBody } from './schemas'
import * as service from './service'

export const orgRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/org-units',
    {
      schema: {
        tags: ['org'],
        operationId: 'createOrgUnit',
        summary: 'Create a unit under a parent in your scope (admin, secretary)',
        body: CreateOrgUnitBody,
        response: { 201: OrgUnit, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      const unit = await service.createOrgUnit(app.db, request.caller, request.body)
      return reply.code(201).header('location', `/api/v1/org-units/${unit.id}`).send(unit)
    },
  )

  app.get(
    '/org-units',
    {
      schema: {
        tags: ['org'],
        operationId: 'listOrgUnits',
        summary: 'The unit directory, by name; ?parentId= gives the children of a unit (any user)',
        querystring: ListOrgUnitsQuery,
        response: { 200: OrgUnitPage, ...problems() },
      },
    },
    async (request) => service.listOrgUnits(app.db, request.query),
  )

  app.get(
    '/org-units/:id',
    {
      schema: {
        tags: ['org'],
        operationId: 'getOrgUnit',
        summary: 'A unit with its own and its effective (inherited) settings (any user)',
        params: IdParams,
        response: { 200: OrgUnit, ...problems(404) },
      },
    },
    async (request) => service.getOrgUnit(app.db, request.params.id),
  )

  app.patch(
    '/org-units/:id',
    {
      schema: {
        tags: ['org'],
        operationId: 'updateOrgUnit',
        summary: 'Rename a unit or change its settings (admin, secretary in scope); null clears a setting',
        params: IdParams,
        body: UpdateOrgUnitBody,
        response: { 200: OrgUnit, ...problems(403, 404) },
      },
    },
    async (request) => service.updateOrgUnit(app.db, request.caller, request.params.id, request.body),
  )
}
