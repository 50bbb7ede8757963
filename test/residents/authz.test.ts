import { sql } from 'drizzle-orm'
import { beforeAll, expect } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type Actor,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  everyone,
  expectStatuses,
  runAuthzMatrix,
} from '../helpers/authz'
import { uniq } from '../helpers/factories'
import { createInvitation } from './helpers'

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

/**
 * Residents belong to community A. Staff over it: admin, secretaryParent (secretary on community A) and the clerk
 * there; branch A's secretary and grid worker, whose grants lie below the community, and every sibling are
 * outside it (404). Panelists, members and residents never keep residents (403).
 */
const overCommunityA = (ok: number) =>
  expectStatuses({
    ok,
    allowed: ['admin', 'secretaryParent', 'clerk'],
    outside: [
      'secretary',
      'secretaryChild',
      'secretarySibling',
      'gridWorker',
      'gridWorkerSibling',
      'clerkSibling',
    ],
    cells: { resident: 403 },
  })

const residentsCount = async () =>
  Number((await one<{ n: string }>(t.db, sql`select count(*) as n from residents`))!.n)
let before = 0

const rows: AuthzRow[] = [
  {
    operation: 'createResident',
    request: async ({ w }) => {
      before = await residentsCount()
      return {
        method: 'POST',
        url: '/api/v1/residents',
        payload: { orgUnitId: w.communityA, name: '孙桂芳', phone: '13700000001' },
      }
    },
    expect: overCommunityA(201),
    check: async (res) => {
      expect(await residentsCount()).toBe(before + (res.statusCode === 201 ? 1 : 0))
    },
  },
  {
    operation: 'listResidents',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/residents?orgUnitId=${w.communityA}` }),
    expect: overCommunityA(200),
    check: (res, { w }) => {
      if (res.statusCode === 200)
        expect(res.json().items.map((r: { id: string }) => r.id)).toContain(w.residentA.residentId)
    },
  },
  {
    operation: 'getResident',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/residents/${w.residentA.residentId}` }),
    // The resident reads their own record.
    expect: { ...overCommunityA(200), resident: 200 },
    check: (res, { w }) => {
      if (res.statusCode === 200) expect(res.json().id).toBe(w.residentA.residentId)
    },
  },
  {
    operation: 'registerResident',
    // Public: anyone, with or without a token, registers with a valid code.
    request: async ({ t, w }) => {
      const { code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin })
      return {
        method: 'POST',
        url: '/api/v1/residents/register',
        payload: {
          invitationCode: code,
          name: '周国华',
          phone: '13700000002',
          username: uniq('resident'),
          password: 'a-long-enough-password',
        },
      }
    },
    expect: { ...everyone(201), resident: 201 },
    check: (res, { w }) => {
      if (res.statusCode === 201) expect(res.json().resident.orgUnitId).toBe(w.communityA)
    },
  },
  {
    operation: 'createResidentInvitation',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/resident-invitations',
      payload: { orgUnitId: w.communityA, maxUses: 5 },
    }),
    expect: overCommunityA(201),
    check: (res) => {
      if (res.statusCode === 201) expect(res.json().code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/)
    },
  },
  {
    operation: 'listResidentInvitations',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/resident-invitations?orgUnitId=${w.communityA}` }),
    expect: overCommunityA(200),
  },
  {
    operation: 'revokeResidentInvitation',
    request: async ({ t, w }) => {
      const { id } = await createInvitation(t.db, w.communityA, { createdBy: w.admin })
      return { method: 'POST', url: `/api/v1/resident-invitations/${id}/revoke` }
    },
    expect: overCommunityA(200),
    check: async (res, _ctx, actor: Actor) => {
      if (res.statusCode === 200) expect(res.json().status, actor).toBe('revoked')
    },
  },
]

runAuthzMatrix('residents authorisation', () => ({ t, w }), rows)
