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
        description:
          "Admin or secretary; any other role: 403. The parent must lie inside the caller's scope (404 " +
          "otherwise, as if unknown). `kind` must sit below the parent's kind, levels may be skipped (else " +
          '400 validation_failed): root > province > city > district > street > community > branch > grid ' +
          '> microgrid. `settings` are optional (redemptionThreshold >= 0, publicityDays 0-60); what is ' +
          'not set is inherited. 201 with a Location header.',
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
        description:
          "Any signed-in user: the directory is not secret, so it is not limited to the caller's scope. " +
          '`parentId` gives the children of a unit, `kind` one level, `q` part of the name (ignoring ' +
          'case). Ordered by name, each unit with its own and its effective settings.',
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
        description:
          'Any signed-in user (unit names are not secret); unknown id: 404. `settings` is what this unit ' +
          'sets itself (null: inherited); `effectiveSettings` is what applies here: the nearest unit up ' +
          'the tree that sets each value, else the defaults (redemptionThreshold 0.00, publicityDays 5).',
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
        description:
          'Admin, or a secretary whose grant covers the unit (the granted unit itself included); any other ' +
          "role: 403; a unit outside the caller's scope: 404. Only the fields sent change; null clears " +
          '`code` or a setting, which then inherits again from the nearest ancestor. A changed setting ' +
          'applies to every unit below that does not set its own. Kind and parent never change (units ' +
          'never move). 评优 settings: `grades` (等次, highest first, names unique, minPoints strictly ' +
          'descending; default none), `volunteerStars` (lowest first, minHours strictly ascending; default ' +
          '一星 100 h ... 五星 1,500 h), `standingsVisibleToMembers` (default true), `certificate` ' +
          '(personInCharge, contactPhone, sealText: each inherits on its own) and `objectionNotice`; a ' +
          'refused list is 400 validation_failed naming the entry.',
        params: IdParams,
        body: UpdateOrgUnitBody,
        response: { 200: OrgUnit, ...problems(403, 404) },
      },
    },
    async (request) => service.updateOrgUnit(app.db, request.caller, request.params.id, request.body),
  )
}
