import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, problems } from '../../shared/schemas'
import * as invitations from './invitations'
import {
  CreatedResidentInvitation,
  CreateResidentBody,
  CreateResidentInvitationBody,
  ListResidentInvitationsQuery,
  ListResidentsQuery,
  RegisteredResident,
  RegisterResidentBody,
  Resident,
  ResidentInvitation,
  ResidentInvitationPage,
  ResidentPage,
} from './schemas'
import * as service from './service'

const TAGS = ['residents']
const STAFF_OVER =
  'Secretary, grid worker or clerk over the community (admin: any); other roles, members and residents: 403; ' +
  'a community outside the caller’s scope: 404.'

/** Residents (群众, issue 18): accounts of people who place their own service requests, and their invitations. */
export const residentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Registration is public: codes are 40 bits, and the budget per address (in the shared counters, as
  // certificate verification's) keeps anyone from trying them at speed.
  const registerLimit = app.rateLimit({
    max: app.settings.loginRateLimit,
    timeWindow: 60_000,
    keyGenerator: (request) => `resident-register:${request.ip}`,
  })

  app.post(
    '/residents',
    {
      schema: {
        tags: TAGS,
        operationId: 'createResident',
        summary: 'Add a resident of a community, with a login if username and password are given',
        description:
          `${STAFF_OVER} \`orgUnitId\` must be a community (400 otherwise). With \`username\` and ` +
          '`password` (both or neither, 400) the resident gets a login holding role resident on the community: ' +
          'they sign in and place their own service requests. A taken username: 409 conflict. Residents are ' +
          'no party members: no points, no ledger, in no ranking or report.',
        body: CreateResidentBody,
        response: { 201: Resident, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createResident(app.db, request.caller, request.body)),
  )

  app.get(
    '/residents',
    {
      schema: {
        tags: TAGS,
        operationId: 'listResidents',
        summary: 'Residents of the communities in your scope, by name',
        description:
          `${STAFF_OVER} \`q\` matches part of the name or of the phone number; \`orgUnitId\` keeps the ` +
          'residents of that unit’s subtree (404 outside the caller’s scope).',
        querystring: ListResidentsQuery,
        response: { 200: ResidentPage, ...problems(403, 404) },
      },
    },
    async (request) => service.listResidents(app.db, request.caller, request.query),
  )

  app.get(
    '/residents/:id',
    {
      schema: {
        tags: TAGS,
        operationId: 'getResident',
        summary: 'One resident (staff over their community, or the resident themself)',
        description:
          'The resident themself, or a secretary, grid worker or clerk over their community (admin: any). ' +
          'Another resident, or staff elsewhere: 404; members and other roles: 403.',
        params: IdParams,
        response: { 200: Resident, ...problems(403, 404) },
      },
    },
    async (request) => service.getResident(app.db, request.caller, request.params.id),
  )

  app.post(
    '/residents/register',
    {
      config: { public: true },
      onRequest: registerLimit,
      schema: {
        tags: TAGS,
        operationId: 'registerResident',
        summary: 'Register as a resident with a community’s invitation code (no token needed)',
        description:
          'Public. Creates the resident in the invitation’s community and their login (role resident there), ' +
          'and signs them in: the answer holds the tokens login would give. A code that admits nobody — wrong, ' +
          'expired, revoked or used up — is one and the same 400 validation_failed (field invitationCode), so ' +
          'nothing tells which; case, spaces and hyphens in the code do not matter. A taken username: 409 ' +
          'conflict (the code’s use is not spent). Racing registrations never exceed the code’s maxUses. ' +
          'Limited per address like certificate verification: 429 rate_limited with Retry-After.',
        body: RegisterResidentBody,
        response: { 201: RegisteredResident, ...problems(409, 429) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await service.registerResident(app.db, (userId) => app.signAccessToken(userId), request.body)),
  )

  app.post(
    '/resident-invitations',
    {
      schema: {
        tags: TAGS,
        operationId: 'createResidentInvitation',
        summary: 'A new invitation code for residents of a community to register themselves',
        description:
          `${STAFF_OVER} \`orgUnitId\` must be a community (400 otherwise). The answer shows the code ` +
          '(8 characters: upper-case letters without I and O, digits 2-9) this one time; only its SHA-256 is ' +
          'stored, so a lost code is revoked and a new one made. `maxUses` defaults to 100 (1-10,000), ' +
          '`expiresAt` to 30 days from now (in the future, at most a year ahead, else 400).',
        body: CreateResidentInvitationBody,
        response: { 201: CreatedResidentInvitation, ...problems(403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await invitations.createResidentInvitation(app.db, request.caller, request.body)),
  )

  app.get(
    '/resident-invitations',
    {
      schema: {
        tags: TAGS,
        operationId: 'listResidentInvitations',
        summary: 'Invitation codes of the communities in your scope, newest first (never the codes)',
        description: `${STAFF_OVER} Each shows its status, uses and expiry; the codes themselves are not kept.`,
        querystring: ListResidentInvitationsQuery,
        response: { 200: ResidentInvitationPage, ...problems(403, 404) },
      },
    },
    async (request) => invitations.listResidentInvitations(app.db, request.caller, request.query),
  )

  app.post(
    '/resident-invitations/:id/revoke',
    {
      schema: {
        tags: TAGS,
        operationId: 'revokeResidentInvitation',
        summary: 'Stop an invitation code from admitting anyone',
        description:
          `${STAFF_OVER} Residents who registered with it keep their accounts. Already revoked: 409 ` +
          'invalid_state.',
        params: IdParams,
        response: { 200: ResidentInvitation, ...problems(403, 404, 409) },
      },
    },
    async (request) => invitations.revokeResidentInvitation(app.db, request.caller, request.params.id),
  )
}
