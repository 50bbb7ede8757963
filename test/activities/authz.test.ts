import { sql } from 'drizzle-orm'
import { beforeAll, expect } from 'vitest'
import { one } from '../../src/db/client'
import { createPastActivity, recordHours, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  ACTORS,
  type Actor,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  reusable,
  runAuthzMatrix,
} from '../helpers/authz'
import { uniq } from '../helpers/factories'

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

/** Secretaries and grid workers over branch A may; the same roles elsewhere get 404; other roles 403. */
const staff = (ok: number, cells: Partial<Record<Actor, number>> = {}) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'gridWorker'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling'],
    cells,
  })

/**
 * Community C accepted member A's 双报到 registration: its staff see the hours the member served and certify them
 * (the issuing unit may be any community the member serves), as the national record rules allow.
 */
const staffAndRegistered = (ok: number, cells: Partial<Record<Actor, number>> = {}) =>
  staff(ok, { secretaryRegistered: ok, gridWorkerRegistered: ok, ...cells })

const rows: AuthzRow[] = [
  {
    operation: 'createActivity',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/activities',
      payload: {
        orgUnitId: w.branchA,
        title: uniq('活动'),
        startsAt: '2026-03-01T01:00:00Z',
        endsAt: '2026-03-01T03:00:00Z',
      },
    }),
    expect: staff(201),
  },
  {
    operation: 'listActivities',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/activities?orgUnitId=${w.branchA}` }),
    expect: staff(200),
  },
  {
    operation: 'getActivity',
    request: async (ctx) => ({
      method: 'GET',
      url: `/api/v1/activities/${await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)}`,
    }),
    expect: staff(200),
  },
  {
    operation: 'recordParticipation',
    request: async (ctx) => ({
      method: 'PUT',
      url: `/api/v1/activities/${await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)}/participants/${ctx.w.memberA.memberId}`,
      payload: { hours: '1.00' },
    }),
    expect: staff(201),
  },
  {
    operation: 'removeParticipation',
    request: async (ctx) => {
      const id = await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)
      await recordHours(ctx.t, ctx.w.admin, id, ctx.w.memberA.memberId, '1.00')
      return { method: 'DELETE', url: `/api/v1/activities/${id}/participants/${ctx.w.memberA.memberId}` }
    },
    expect: staff(204),
  },
  {
    operation: 'verifyActivity',
    request: async (ctx) => {
      const id = await createPastActivity(ctx.t, ctx.w.admin, ctx.w.branchA)
      await recordHours(ctx.t, ctx.w.admin, id, ctx.w.memberA.memberId, '1.00')
      return { method: 'POST', url: `/api/v1/activities/${id}/verify` }
    },
    expect: staff(200),
  },
  {
    operation: 'getServiceHours',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/service-hours` }),
    // The member reads their own; another member is told nothing (404); panelist and clerk have no such role.
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
  },
  {
    // The file twin of getServiceHours: the same callers.
    operation: 'exportServiceHoursCsv',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/service-hours.csv` }),
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
    check: (res) => {
      if (res.statusCode === 200)
        expect(res.body).toMatch(/^\uFEFFdate,source,sourceId,title,orgUnitId,hours\r\n/)
    },
  },
  {
    operation: 'issueServiceCertificate',
    request: ({ w }) => ({
      method: 'POST',
      url: `/api/v1/members/${w.memberA.memberId}/service-certificates`,
      headers: { 'idempotency-key': uniq('k') },
      payload: { from: '2026-01-01', to: '2026-12-31' },
    }),
    expect: staffAndRegistered(201),
  },
  {
    operation: 'listServiceCertificates',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/members/${w.memberA.memberId}/service-certificates`,
    }),
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
  },
  {
    operation: 'getServiceCertificate',
    request: async (ctx) => {
      const issued = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2026-12-31' },
      })
      return {
        method: 'GET',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates/${issued.json().id}`,
      }
    },
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
  },
  {
    // The PDF twin of getServiceCertificate: the same callers.
    operation: 'getServiceCertificatePdf',
    request: async (ctx) => {
      const issued = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2026-12-31' },
      })
      return {
        method: 'GET',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates/${issued.json().id}.pdf`,
      }
    },
    expect: staffAndRegistered(200, { member: 200, memberSibling: 404 }),
    check: (res) => {
      if (res.statusCode !== 200) return
      expect(res.headers['content-type']).toBe('application/pdf')
      expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    },
  },
  {
    operation: 'verifyServiceCertificate',
    request: async (ctx) => {
      await verifiedActivity(ctx.t, ctx.w.admin, ctx.w.branchA, [[ctx.w.memberA.memberId, '1.00']])
      const issued = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2099-12-31' },
      })
      return { method: 'GET', url: `/api/v1/service-certificates/${issued.json().verificationCode}` }
    },
    expect: Object.fromEntries(ACTORS.map((a) => [a, 200])) as Record<Actor, number>,
  },
  {
    // A member asks for their own certificate, from a unit on their line (community A above their branch); member B
    // (branch B) may not ask community A: 404. Nobody asks for someone else: staff without a member record 403.
    operation: 'requestServiceCertificate',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/service-certificate-requests',
      headers: { 'idempotency-key': uniq('k') },
      payload: { from: '2026-01-01', to: '2026-12-31', orgUnitId: w.communityA },
    }),
    expect: expectStatuses({
      ok: 201,
      allowed: ['member'],
      outside: ['memberSibling'],
      cells: { resident: 403 },
    }),
  },
  {
    // Staff over the unit asked see its requests; a member reads their own (member B: none there, an empty page).
    operation: 'listServiceCertificateRequests',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/service-certificate-requests?orgUnitId=${w.branchA}`,
    }),
    expect: staff(200, { member: 200, memberSibling: 200, resident: 403 }),
  },
  {
    operation: 'declineServiceCertificateRequest',
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/service-certificate-requests/${await pendingRequest(ctx)}/decline`,
      headers: { 'idempotency-key': uniq('k') },
      payload: { reason: '该期间无本单位记录的服务' },
    }),
    expect: staff(200),
  },
  {
    // Revocation voids a public record: the secretaries over the issuing unit only (grid workers 403).
    operation: 'revokeServiceCertificate',
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/service-certificates/${await validCertificate(ctx)}/revoke`,
      headers: { 'idempotency-key': uniq('k') },
      payload: { reason: '录入有误' },
    }),
    expect: expectStatuses({ ok: 200, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES }),
  },
]

/** Member A's pending request to branch A, made again once a cell has decided it. */
let pendingFixture: (() => Promise<string>) | undefined
function pendingRequest(ctx: { t: TestApp; w: AuthzWorld }): Promise<string> {
  pendingFixture ??= reusable(
    async () => {
      const res = await ctx.t.call({
        method: 'POST',
        url: '/api/v1/service-certificate-requests',
        as: ctx.w.memberA.userId,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2026-12-31', orgUnitId: ctx.w.branchA },
      })
      expect(res.statusCode, res.body).toBe(201)
      return res.json().id as string
    },
    async (id) =>
      (
        await one<{ status: string }>(
          ctx.t.db,
          sql`select status from service_certificate_requests where id = ${id}`,
        )
      )?.status === 'pending',
  )
  return pendingFixture()
}

/** A valid certificate of member A issued by branch A, made again once a cell has revoked it. */
let certificateFixture: (() => Promise<string>) | undefined
function validCertificate(ctx: { t: TestApp; w: AuthzWorld }): Promise<string> {
  certificateFixture ??= reusable(
    async () => {
      const res = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/members/${ctx.w.memberA.memberId}/service-certificates`,
        as: ctx.w.secretaryA,
        headers: { 'idempotency-key': uniq('k') },
        payload: { from: '2026-01-01', to: '2026-12-31' },
      })
      expect(res.statusCode, res.body).toBe(201)
      return res.json().id as string
    },
    async (id) =>
      (
        await one<{ revoked: boolean }>(
          ctx.t.db,
          sql`select revoked_at is not null as revoked from service_certificates where id = ${id}`,
        )
      )?.revoked === false,
  )
  return certificateFixture()
}

runAuthzMatrix('activities, hours and certificates', () => ({ t, w }), rows)
