import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../shared/errors'
import { IdParams, NoContent, problems } from '../../shared/schemas'
import {
  CreateUserBody,
  Grant,
  GrantRoleBody,
  ListUsersQuery,
  LoginBody,
  Me,
  RefreshBody,
  TokenPair,
  User,
  UserPage,
  UserRoleParams,
} from './schemas'
import * as service from './service'

export const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const sign = (userId: string) => app.signAccessToken(userId)
  // Both in the shared store (every process counts into the same budgets): see LoginThrottle. Login: a budget
  // per address (high enough for an office behind one NAT) and growing delays per account that failures from
  // unknown addresses cannot turn into a lock-out of the member's own address. Refresh: a budget per address.
  const throttle = app.loginThrottle
  // A preHandler: the body has passed LoginBody's schema.
  const loginLimit = (request: FastifyRequest, reply: FastifyReply) =>
    throttle.admit((request.body as { username: string }).username, request.ip, reply)
  const refreshLimit = (request: FastifyRequest, reply: FastifyReply) =>
    throttle.perAddress('refresh', request.ip, reply)

  app.post(
    '/auth/login',
    {
      config: { public: true },
      preHandler: loginLimit,
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Exchange username and password for an access token and a refresh token',
        description:
          'A wrong username and a wrong password give the same 401. Limited per address (100 attempts a minute ' +
          'by default) and per account: after 5 failures each further attempt must wait 1 s, 2 s, 4 s ... up to ' +
          '15 minutes (a success resets it), except from an address that logged in to the account before, which ' +
          'is judged only by the failures sent from it. Past either: 429 rate_limited with Retry-After.',
        body: LoginBody,
        response: { 200: TokenPair, ...problems(429) },
      },
    },
    async (request) => {
      const { username, password } = request.body
      let pair: Awaited<ReturnType<typeof service.login>>
      try {
        pair = await service.login(app.db, sign, username, password)
      } catch (err) {
        if (err instanceof DomainError && err.code === 'unauthorized')
          await throttle.failed(username, request.ip)
        throw err
      }
      await throttle.succeeded(username, request.ip)
      return pair
    },
  )

  app.post(
    '/auth/refresh',
    {
      config: { public: true },
      preHandler: refreshLimit,
      schema: {
        tags: ['auth'],
        operationId: 'refreshToken',
        summary: 'Exchange a refresh token for a new pair (the old one is used up)',
        description: 'Presenting a refresh token that was already used revokes its whole family (401).',
        body: RefreshBody,
        response: { 200: TokenPair, ...problems(429) },
      },
    },
    async (request) => service.refresh(app.db, sign, request.body.refreshToken),
  )

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        summary: 'Revoke a refresh token and every token rotated from it',
        description:
          'Any signed-in user. Revokes the session the refresh token belongs to: that token and every ' +
          'token rotated in the same family, so none of them refreshes again. A token that is unknown or ' +
          "not the caller's changes nothing: the answer is 204 either way, so logging out twice is " +
          'harmless. The access token in hand is not revoked; it stays valid until it expires (expiresIn, ' +
          '15 minutes).',
        body: RefreshBody,
        response: { 204: NoContent, ...problems() },
      },
    },
    async (request, reply) => {
      await service.logout(app.db, request.caller, request.body.refreshToken)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        operationId: 'getMe',
        summary: 'Who you are: user, linked member, role grants',
        description:
          'Any signed-in user. `member` is the member record linked to this login (id, name, home ' +
          'orgUnitId), or null for staff without one; `resident` is the resident (群众) record of a ' +
          "resident's login (id, name, community), or null; `roles` lists every grant, whose id is what " +
          'revokeRole takes. A grant or revocation shows here at once in the process that made it and ' +
          'within 2 seconds in the others.',
        response: { 200: Me, ...problems() },
      },
    },
    async (request) => service.getMe(app.db, request.caller),
  )

  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        summary:
          'Create a login (admin, secretary); with memberId it is linked to that member with role member',
        description:
          'Admin or secretary; any other role: 403. The username (3-64 characters, no spaces) must be free ' +
          '(409 conflict); the password needs at least 10 characters and is stored only as an Argon2id ' +
          'hash. With `memberId` the login belongs to that member, who must be visible to the caller as ' +
          'secretary (home unit or 双报到 community in scope, else 404) and may have only one login (409 ' +
          "conflict); the user gets role member on the member's home unit. Without it the user holds no " +
          'role until grantRole.',
        body: CreateUserBody,
        response: { 201: User, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createUser(app.db, request.caller, request.body)),
  )

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary: 'Users you administer, by username, with their grants (admin: all; secretary: in scope)',
        description:
          'Admin: every user. Secretary: users with a grant, or a linked member, inside the units they are ' +
          "secretary of. Any other role: 403. `orgUnitId` narrows to one subtree (outside the caller's " +
          'scope: 404); `q` matches part of the username, ignoring case. Ordered by username, each user ' +
          'with all their grants.',
        querystring: ListUsersQuery,
        response: { 200: UserPage, ...problems(403, 404) },
      },
    },
    async (request) => service.listUsers(app.db, request.caller, request.query),
  )

  app.get(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        operationId: 'getUser',
        summary: 'A user you administer, with their grants (for revokeRole)',
        description:
          'Visibility as in listUsers: an admin reads any user; a secretary, users with a grant or a ' +
          'linked member inside their units; a user outside that: 404. Any other role: 403. Lists every ' +
          'grant with its id, which revokeRole takes.',
        params: IdParams,
        response: { 200: User, ...problems(403, 404) },
      },
    },
    async (request) => service.getUser(app.db, request.caller, request.params.id),
  )

  app.post(
    '/users/:id/roles',
    {
      schema: {
        tags: ['users'],
        operationId: 'grantRole',
        summary: 'Grant a role on a unit in your scope (admin, secretary; only admin grants admin)',
        description:
          "Admin or secretary; any other role: 403. The unit must lie inside the caller's scope and the " +
          'user exist (404 otherwise); only an admin grants admin (403 for a secretary). Role member needs ' +
          'a user linked to a member record (400 validation_failed). Role resident is never granted here ' +
          '(400 validation_failed): it comes with a resident account (createResident, registerResident), ' +
          'on the community the resident lives in. The same role on the same unit twice: ' +
          "409 conflict. The grant covers the unit's whole subtree and applies at once in this process, " +
          'within 2 seconds in the others.',
        params: IdParams,
        body: GrantRoleBody,
        response: { 201: Grant, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const grant = await service.grantRole(app.db, request.caller, request.params.id, request.body)
      app.forgetCaller(request.params.id)
      return reply.code(201).send(grant)
    },
  )

  app.delete(
    '/users/:id/roles/:grantId',
    {
      schema: {
        tags: ['users'],
        operationId: 'revokeRole',
        summary: 'Revoke a grant on a unit in your scope (admin, secretary; only admin revokes admin)',
        description:
          'Admin or secretary; any other role: 403. The grant must belong to that user and lie on a unit ' +
          "inside the caller's scope, else 404. Only an admin revokes admin (403), and never the last " +
          'admin grant of an enabled user (409 invalid_state: grant admin to someone else first). Applies ' +
          'at once in this process, within 2 seconds in the others.',
        params: UserRoleParams,
        response: { 204: NoContent, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) => {
      await service.revokeRole(app.db, request.caller, request.params.id, request.params.grantId)
      app.forgetCaller(request.params.id)
      return reply.code(204).send(null)
    },
  )
}
