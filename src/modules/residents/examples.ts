import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the residents operations for /docs (see src/plugins/openapi-examples.ts).

const wang = {
  id: EX.resident,
  orgUnitId: EX.unit.community,
  name: EX.residentName,
  phone: '13700001234',
  username: 'wangxiulan',
  invitationId: EX.residentInvitation,
  createdAt: '2026-05-06T10:02:41.377+08:00',
}
/** Created at the community office by the clerk, without a login: her son orders for her by phone. */
const sun = {
  id: '1c7fb8a4-33de-4c7b-9a0b-5f2b0d63e1a9',
  orgUnitId: EX.unit.community,
  name: '孙桂芳',
  phone: null,
  username: null,
  invitationId: null,
  createdAt: '2026-05-08T15:40:12.904+08:00',
}

const invitation = {
  id: EX.residentInvitation,
  orgUnitId: EX.unit.community,
  status: 'active',
  maxUses: 100,
  uses: 37,
  expiresAt: '2026-06-04T09:30:00.000+08:00',
  revokedAt: null,
  createdBy: EX.user.clerk,
  createdAt: '2026-05-05T09:30:00.000+08:00',
}

const CODE = 'K7PQ3MXD'

export const residentsExamples: OperationExamples = {
  createResident: {
    description: 'The resident, created (with their login when username and password were given)',
    request: {
      orgUnitId: EX.unit.community,
      name: EX.residentName,
      phone: '13700001234',
      username: 'wangxiulan',
      password: 'Shita-2026-wxl',
    },
    response: { ...wang, invitationId: null },
    invalid: { orgUnitId: EX.unit.community, name: '' },
    errors: {
      404: { code: 'not_found', detail: 'org unit not found' },
      409: { code: 'conflict', detail: 'that username is taken' },
    },
  },
  listResidents: {
    description: 'A page of residents, by name',
    response: { items: [sun, wang], nextCursor: null },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  getResident: {
    description: 'The resident',
    response: wang,
  },
  registerResident: {
    description: 'The resident, registered in the invitation’s community, and their tokens (signed in)',
    request: {
      invitationCode: 'K7PQ-3MXD',
      name: EX.residentName,
      phone: '13700001234',
      username: 'wangxiulan',
      password: 'Shita-2026-wxl',
    },
    response: {
      resident: wang,
      tokens: {
        accessToken:
          'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmNjgyZGFiYi1hMDg4LTQ5NzMtOTQzZi0wNWMzODVlZjkzNTUifQ.c2lnbmF0dXJlLW9mLXRoZS1leGFtcGxl',
        refreshToken: 'q3VYf1oZ8mJb2nW5xK7tR0cE4hL6pA9sD2gU8yI1oTw',
        tokenType: 'Bearer',
        expiresIn: 900,
      },
    },
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'invitationCode: the invitation code is not valid: wrong, expired, revoked or used up',
        errors: [
          {
            field: 'invitationCode',
            message: 'the invitation code is not valid: wrong, expired, revoked or used up',
          },
        ],
      },
      409: { code: 'conflict', detail: 'that username is taken' },
      429: { code: 'rate_limited', detail: 'too many attempts; retry in 41 s' },
    },
  },
  createResidentInvitation: {
    description: 'The invitation, with its code: shown this once, only its hash is kept',
    request: { orgUnitId: EX.unit.community, maxUses: 100, expiresAt: '2026-06-04T09:30:00.000+08:00' },
    response: { ...invitation, uses: 0, code: CODE },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  listResidentInvitations: {
    description: 'A page of invitations, newest first, without their codes',
    response: { items: [invitation], nextCursor: null },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  revokeResidentInvitation: {
    description: 'The invitation, revoked: its code admits nobody any more',
    response: { ...invitation, status: 'revoked', revokedAt: '2026-05-20T17:05:33.218+08:00' },
    errors: { 409: { code: 'invalid_state', detail: 'the invitation is already revoked' } },
  },
}
