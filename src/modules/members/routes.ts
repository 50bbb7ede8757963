import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import type { Caller } from '../../shared/authz'
import {
  acceptNote,
  alsoAnswers,
  csvFileResponse,
  sendCsv,
  toCsv,
  wantsCsv,
  withoutPaging,
} from '../../shared/csv'
import { DomainError } from '../../shared/errors'
import { IdParams, problems } from '../../shared/schemas'
import * as registrations from './registrations'
import {
  AddTeamMemberBody,
  CreateMemberBody,
  CreateTeamBody,
  DeclineRegistrationBody,
  EndRegistrationBody,
  ImportMembersQuery,
  ImportResult,
  ListMembersQuery,
  ListRegistrationsQuery,
  ListTeamsQuery,
  Member,
  MemberPage,
  RegisterMemberBody,
  Registration,
  RegistrationPage,
  Team,
  TeamMember,
  TeamPage,
  UpdateMemberBody,
} from './schemas'
import * as service from './service'
import * as teams from './teams'

export const membersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Spreadsheets arrive as text/csv (UTF-8, BOM allowed); only this plugin's routes accept it.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body))

  app.post(
    '/members',
    {
      schema: {
        tags: ['members'],
        operationId: 'createMember',
        summary: 'Add a member to a unit in your scope (secretary)',
        description:
          "Secretary over `orgUnitId` (grid workers and other roles: 403; a unit outside the caller's " +
          'scope: 404). The member starts active, with no 双报到 registration and no login: createUser with ' +
          'memberId gives one, registerMember records a community. For many members at once, ' +
          'importMembers.',
        body: CreateMemberBody,
        response: { 201: Member, ...problems(403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createMember(app.db, request.caller, request.body, app.pii)),
  )

  /** Every member listMembers would list, as a roster importMembers reads back (its columns first). */
  const membersCsv = async (caller: Caller, query: ListMembersQuery, reply: FastifyReply) => {
    const all = await service.exportMembers(app.readDb, caller, query, app.pii)
    const csv = toCsv(
      [
        { header: 'name', value: (m) => m.name },
        { header: 'isPartyMember', value: (m) => m.isPartyMember },
        { header: 'phone', value: (m) => m.phone },
        { header: 'workUnit', value: (m) => m.workUnit },
        { header: 'status', value: (m) => m.status },
        { header: 'orgUnitId', value: (m) => m.orgUnitId },
        { header: 'id', value: (m) => m.id },
        // The identity document masked, as every answer shows it (never the number).
        { header: 'identityType', value: (m) => m.identityDocument?.type ?? null },
        { header: 'identityNumberMasked', value: (m) => m.identityDocument?.maskedNumber ?? null },
      ],
      all,
    )
    return sendCsv(reply, 'members.csv', csv)
  }

  app.get(
    '/members',
    {
      schema: {
        tags: ['members'],
        operationId: 'listMembers',
        summary: 'Members in your scope by name (secretary, grid worker); a member sees only themselves',
        description:
          'Staff list the members whose home unit or 双报到 community lies in their units, by name; ' +
          '`orgUnitId` narrows to a subtree (one outside their units: 404). A member without a staff role ' +
          'gets only their own record.' +
          acceptNote('text/csv', '/api/v1/members.csv'),
        ...alsoAnswers('text/csv', 'exportMembersCsv'),
        querystring: ListMembersQuery,
        response: { 200: MemberPage, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request)) return membersCsv(request.caller, request.query, reply)
      return service.listMembers(app.db, request.caller, request.query, app.pii)
    },
  )

  app.get(
    '/members.csv',
    {
      schema: {
        tags: ['members'],
        operationId: 'exportMembersCsv',
        summary: 'The members listMembers lists, all of them, as a CSV roster',
        description:
          'The same access and filters as listMembers, every matching member (UTF-8 with BOM): name, ' +
          'isPartyMember, phone, workUnit (as importMembers reads them), then status, orgUnitId, id.',
        querystring: withoutPaging(ListMembersQuery),
        response: { 200: csvFileResponse('The roster'), ...problems(403, 404) },
      },
    },
    async (request, reply) => membersCsv(request.caller, request.query, reply),
  )

  app.post(
    '/members/import',
    {
      schema: {
        tags: ['members'],
        operationId: 'importMembers',
        summary: 'Import members from CSV into a unit: all rows or none (secretary)',
        description:
          'Body text/csv, UTF-8 with or without BOM, header row with columns name,isPartyMember,phone,workUnit ' +
          '(any order; phone and workUnit optional) and optionally identityType,identityNumber (the type by its ' +
          'code, resident_id, or its name, 居民身份证; the number checked as createMember checks it, sealed under ' +
          'PII_KEY, shown only masked, e.g. in exportMembersCsv). isPartyMember: true/false, 1/0, yes/no or 是/否. ' +
          'On any error nothing is created and the 400 lists errors:[{line, message}], the header being line 1.',
        querystring: ImportMembersQuery,
        body: {
          content: {
            'text/csv': {
              schema: Type.String({
                description: 'CSV text (the body limit is 1 MiB)',
                maxLength: 1_048_576,
              }),
            },
          },
        },
        response: { 201: ImportResult, ...problems(403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string') {
        throw new DomainError('unsupported_media_type', 'send the file as Content-Type: text/csv')
      }
      const result = await service.importMembers(
        app.db,
        request.caller,
        request.query.orgUnitId,
        request.body,
        app.pii,
      )
      return reply.code(201).send(result)
    },
  )

  app.get(
    '/members/:id',
    {
      schema: {
        tags: ['members'],
        operationId: 'getMember',
        summary: 'A member (secretary, grid worker in scope; the member themself)',
        description:
          "The member themself, or a secretary or grid worker whose units cover the member's home unit or " +
          'a community they registered with (双报到); outside that: 404. A user with none of these roles and ' +
          'no member record: 403 (a member asking about someone else gets 404). Includes the ' +
          'registrations.',
        params: IdParams,
        response: { 200: Member, ...problems(403, 404) },
      },
    },
    async (request) => service.getMember(app.db, request.caller, request.params.id),
  )

  app.patch(
    '/members/:id',
    {
      schema: {
        tags: ['members'],
        operationId: 'updateMember',
        summary:
          'Change a member (secretary over their home unit; the member: phone, workUnit, identityDocument)',
        description:
          "A secretary over the member's home unit changes any field; moving the member (`orgUnitId`) " +
          'needs the new unit in their scope too (404). The member themself may change only phone, ' +
          'workUnit and identityDocument (403 for any other field). identityDocument is stored encrypted and ' +
          'answered masked; setting or removing it (null) writes an audit event with the type and mask only. A secretary who sees the member only through a 双报到 ' +
          'community: 403; anyone who cannot see the member: 404. Null clears phone or workUnit. An ' +
          'inactive member keeps their records but takes on no new activity or service request (409 ' +
          'invalid_state there).',
        params: IdParams,
        body: UpdateMemberBody,
        response: { 200: Member, ...problems(403, 404) },
      },
    },
    async (request) => service.updateMember(app.db, request.caller, request.params.id, request.body, app.pii),
  )

  app.post(
    '/members/:id/registrations',
    {
      schema: {
        tags: ['members'],
        operationId: 'registerMember',
        summary:
          '双报到: ask for the member to serve a residential community (the member, or their home side)',
        description:
          'By the member themself or a secretary over the member’s home unit; a 双报到 registration elsewhere ' +
          'does not count, and a member outside that scope answers 404 exactly like an id that does not exist. ' +
          '`orgUnitId` must be a community (400) other than the one the member already lives under. The ' +
          'registration starts `pending`: until the community’s secretary accepts it (acceptRegistration) the ' +
          'community learns the member’s name and home unit name and nothing more. A pending or accepted ' +
          'registration with the same community: 409 conflict.',
        params: IdParams,
        body: RegisterMemberBody,
        response: { 201: Registration, ...problems(400, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await registrations.registerMember(
            app.db,
            request.caller,
            request.params.id,
            request.body.orgUnitId,
          ),
        ),
  )

  app.get(
    '/registrations',
    {
      schema: {
        tags: ['members'],
        operationId: 'listRegistrations',
        summary: '双报到 registrations you have a part in, newest first',
        description:
          'A member: their own. Secretaries and grid workers: registrations of members at home in their units ' +
          'and registrations with their communities (a community sees pending requests with the member’s name ' +
          'and home unit name only). Other roles: 403. `orgUnitId` narrows to that subtree (either side; outside ' +
          'the caller’s scope: 404); `status` and `memberId` filter.',
        querystring: ListRegistrationsQuery,
        response: { 200: RegistrationPage, ...problems(400, 403, 404) },
      },
    },
    async (request) => registrations.listRegistrations(app.db, request.caller, request.query),
  )

  app.post(
    '/registrations/:id/accept',
    {
      schema: {
        tags: ['members'],
        operationId: 'acceptRegistration',
        summary: '双报到: the community takes the member on (secretary over the community)',
        description:
          'Only a secretary over the registration’s community (the member and the home side: 403; a registration ' +
          'the caller has no part in: 404). From pending only, else 409 invalid_state. From then on the ' +
          'community sees the member and may involve them in its activities, requests and rewards.',
        params: IdParams,
        response: { 200: Registration, ...problems(403, 404, 409) },
      },
    },
    async (request) => registrations.acceptRegistration(app.db, request.caller, request.params.id),
  )

  app.post(
    '/registrations/:id/decline',
    {
      schema: {
        tags: ['members'],
        operationId: 'declineRegistration',
        summary: '双报到: the community declines the request (secretary over the community)',
        description:
          'Only a secretary over the registration’s community (others with a part in it: 403; none: 404). From ' +
          'pending only, else 409 invalid_state. The member may ask again later.',
        params: IdParams,
        body: DeclineRegistrationBody,
        response: { 200: Registration, ...problems(403, 404, 409) },
      },
    },
    async (request) =>
      registrations.declineRegistration(app.db, request.caller, request.params.id, request.body.reason),
  )

  app.post(
    '/registrations/:id/end',
    {
      schema: {
        tags: ['members'],
        operationId: 'endRegistration',
        summary: '双报到: end a registration (the member, the home side or the community)',
        description:
          'The member, a secretary over the member’s home unit or over the community ends a pending or ' +
          'accepted registration (else 409 invalid_state; none of theirs: 404). The community no longer sees ' +
          'the member and takes them on no new work; what the member did there stays on record.',
        params: IdParams,
        body: EndRegistrationBody,
        response: { 200: Registration, ...problems(403, 404, 409) },
      },
    },
    async (request) =>
      registrations.endRegistration(app.db, request.caller, request.params.id, request.body.reason),
  )

  app.post(
    '/teams',
    {
      schema: {
        tags: ['teams'],
        operationId: 'createTeam',
        summary: 'Create a volunteer team (志愿服务队) under a unit in your scope (secretary, grid worker)',
        description:
          "Secretary or grid worker over `orgUnitId` (other roles: 403; a unit outside the caller's scope: " +
          '404). The team starts empty (memberCount 0): addTeamMember fills it, and activities may name it ' +
          'as teamId.',
        body: CreateTeamBody,
        response: { 201: Team, ...problems(403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await teams.createTeam(app.db, request.caller, request.body)),
  )

  app.get(
    '/teams',
    {
      schema: {
        tags: ['teams'],
        operationId: 'listTeams',
        summary: 'Teams in your scope, by name (secretary, grid worker)',
        description:
          "Secretary or grid worker (other roles: 403): teams of units in the caller's scope, by name, " +
          "with memberCount. `orgUnitId` narrows to that unit's subtree (outside the caller's scope: 404).",
        querystring: ListTeamsQuery,
        response: { 200: TeamPage, ...problems(403, 404) },
      },
    },
    async (request) => teams.listTeams(app.db, request.caller, request.query),
  )

  app.post(
    '/teams/:id/members',
    {
      schema: {
        tags: ['teams'],
        operationId: 'addTeamMember',
        summary: 'Add a member you can see to a team in your scope (secretary, grid worker)',
        description:
          "Secretary or grid worker (other roles: 403). The team must lie in the caller's scope and the " +
          'member be visible to them through their home unit or a 双报到 community, else 404. A member ' +
          'already in the team: 409 conflict.',
        params: IdParams,
        body: AddTeamMemberBody,
        response: { 201: TeamMember, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await teams.addTeamMember(app.db, request.caller, request.params.id, request.body.memberId)),
  )
}
