import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the identity operations for /docs (see src/plugins/openapi-examples.ts).

const ACCESS_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiYmE1OWU5OC1kYjBjLTQ5MmItYTRiNy01MmNlZjg4YzdmODIiLCJpYXQi' +
  'OjE3OTY0NTMxNzUsImV4cCI6MTc5NjQ1NDA3NSwiaXNzIjoidm9sdW50ZWVyLXBvaW50cyIsImF1ZCI6InZvbHVudGVlci1wb2ludHMtYX' +
  'BpIn0.uo-Jl9tF9dbslE5GTFTqmpufJgIyzhBjTeKJh-sUcOs'
const REFRESH_TOKEN = 'IDwecp0zdiri3b9XRI7THOU8KQz5yqlslnfpsFm0L-o'
const tokens = {
  accessToken: ACCESS_TOKEN,
  refreshToken: 'ViPYiRGEiPSxWQamJ1neUbuh9LFxMGaCjAAMfy8nzG8',
  tokenType: 'Bearer',
  expiresIn: 900,
}

const memberGrant = { id: EX.grant, role: 'member', orgUnitId: EX.unit.branch }
const zhangUser = {
  id: EX.user.zhang,
  username: 'zhangjianguo',
  memberId: EX.member.zhang,
  roles: [memberGrant],
  createdAt: '2026-03-02T09:15:42.318+08:00',
}
const panelistGrant = {
  id: '9911743a-90d8-408c-9d34-9ffb6e91e282',
  userId: EX.user.zhang,
  role: 'panelist',
  orgUnitId: EX.unit.branch,
  createdAt: '2026-11-20T10:03:11.204+08:00',
}

export const identityExamples: OperationExamples = {
  login: {
    description: 'Signed in: an access token for 15 minutes and a refresh token for the next pair',
    request: { username: 'zhangjianguo', password: 'Shita-2026-zjg' },
    response: tokens,
    errors: {
      401: { code: 'unauthorized', detail: 'username or password is wrong' },
      429: { code: 'rate_limited', detail: 'too many attempts; retry in 4 s' },
    },
  },
  refreshToken: {
    description: 'A new pair; the refresh token sent is used up',
    request: { refreshToken: REFRESH_TOKEN },
    response: tokens,
    errors: {
      401: [
        { code: 'unauthorized', detail: 'the refresh token is invalid, expired or revoked' },
        {
          code: 'unauthorized',
          detail:
            'this refresh token was already used; every token of its session is now revoked, log in again',
        },
      ],
      429: { code: 'rate_limited', detail: 'too many attempts; retry in 2 s' },
    },
  },
  logout: {
    description: 'The session of the refresh token is ended (also when it was already over)',
    request: { refreshToken: REFRESH_TOKEN },
  },
  getMe: {
    description:
      'Your user, the member record linked to it (null for staff without one) and your role grants',
    response: {
      user: { id: EX.user.zhang, username: 'zhangjianguo' },
      member: { id: EX.member.zhang, name: EX.memberName.zhang, orgUnitId: EX.unit.branch },
      resident: null,
      roles: [memberGrant],
    },
  },
  createUser: {
    description: 'The login, created; linked to the member with role member when memberId was given',
    request: { username: 'zhangjianguo', password: 'Shita-2026-zjg', memberId: EX.member.zhang },
    response: zhangUser,
    errors: {
      404: { code: 'not_found', detail: 'member not found' },
      409: [
        { code: 'conflict', detail: 'that username is taken' },
        { code: 'conflict', detail: 'that member already has a login' },
      ],
    },
  },
  listUsers: {
    description: 'A page of the users you administer, by username, with their grants',
    response: { items: [zhangUser], nextCursor: null },
  },
  getUser: {
    description: 'The user with their grants',
    response: zhangUser,
  },
  grantRole: {
    description: 'The grant, created: the role now applies on the unit and everything below it',
    request: { role: 'panelist', orgUnitId: EX.unit.branch },
    response: panelistGrant,
    errors: {
      403: { code: 'forbidden', detail: 'only an admin grants admin' },
      404: { code: 'not_found', detail: 'user not found' },
      409: { code: 'conflict', detail: 'the user already holds that role there' },
    },
  },
  revokeRole: {
    description: 'The grant is revoked (within 2 s in every server process)',
    errors: {
      403: { code: 'forbidden', detail: 'only an admin revokes admin' },
      409: {
        code: 'invalid_state',
        detail: 'this is the last admin grant; grant admin to someone else first',
      },
    },
  },
}
