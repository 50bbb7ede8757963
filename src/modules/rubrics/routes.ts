import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, problems } from '../../shared/schemas'
import { CreateRubricBody, ListRubricsQuery, ReplaceItemsBody, Rubric, RubricTemplate } from './schemas'
import * as service from './service'

const tags = ['rubrics']

export const rubricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tz = () => app.settings.timezone

  app.get(
    '/rubric-templates/default',
    {
      schema: {
        tags,
        operationId: 'getDefaultRubricTemplate',
        summary: 'The default 20-item rubric (积分细则), to copy into a unit rubric',
        description:
          'The shipped 20-item default (积分细则): five areas from the community\'s own list plus the items such rubrics usually carry. Copy it into a unit\'s draft with createRubric {fromTemplate: "default"}.',
        response: { 200: RubricTemplate, ...problems() },
      },
    },
    async () => service.getDefaultRubricTemplate(),
  )

  app.post(
    '/rubrics',
    {
      schema: {
        tags,
        operationId: 'createRubric',
        summary:
          'Create a draft rubric for a unit and year, from items, the default template or another rubric',
        description:
          'A secretary over the unit. Send exactly one of `items`, `fromTemplate: "default"` or `copyFromRubricId` (any rubric you can read). Items: unique codes; kind award or deduction; unit hour, occurrence or fixed; positive amounts with at most two places; maxPerClaim >= pointsPerUnit; capPerYear >= maxPerClaim (400 lists every problem).',
        body: CreateRubricBody,
        response: { 201: Rubric, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      const out = await service.createRubric(app.db, request.caller, request.body, tz())
      return reply.code(201).send(out)
    },
  )

  app.get(
    '/rubrics',
    {
      schema: {
        tags,
        operationId: 'listRubrics',
        summary: 'Rubrics you can read, newest first',
        description:
          'Rubrics of units in your subtrees, and of the units above you (the rules that apply to you). Filters: orgUnitId (that unit), year, status.',
        querystring: ListRubricsQuery,
        response: { 200: Page(Rubric), ...problems() },
      },
    },
    async (request) => service.listRubrics(app.db, request.caller, request.query, tz()),
  )

  app.get(
    '/rubrics/:id',
    {
      schema: {
        tags,
        operationId: 'getRubric',
        summary: 'One rubric with its items',
        description:
          "Readable by anyone working or registered in the rubric's subtree and by staff above it; otherwise 404.",
        params: IdParams,
        response: { 200: Rubric, ...problems(404) },
      },
    },
    async (request) => service.getRubric(app.db, request.caller, request.params.id, tz()),
  )

  app.put(
    '/rubrics/:id/items',
    {
      schema: {
        tags,
        operationId: 'replaceRubricItems',
        summary: 'Replace all items of a draft rubric (an active one never changes: 409 invalid_state)',
        description:
          'Replaces the whole item list of a draft. An active rubric never changes: 409 invalid_state (and the database refuses it too).',
        params: IdParams,
        body: ReplaceItemsBody,
        response: { 200: Rubric, ...problems(403, 404, 409) },
      },
    },
    async (request) =>
      service.replaceRubricItems(app.db, request.caller, request.params.id, request.body.items, tz()),
  )

  app.post(
    '/rubrics/:id/activate',
    {
      schema: {
        tags,
        operationId: 'activateRubric',
        summary: 'Activate a draft rubric: one active per unit and year (409 conflict), frozen from now on',
        description:
          "Freezes the draft and makes it the unit's rubric for its year. Another active rubric for the unit and year: 409 conflict (also when two activations race).",
        params: IdParams,
        response: { 200: Rubric, ...problems(403, 404, 409) },
      },
    },
    async (request) => service.activateRubric(app.db, request.caller, request.params.id, tz()),
  )
}
