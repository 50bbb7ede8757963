import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { auditCount, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUnit, createUser, createWorld, uniq, type World } from '../helpers/factories'
import { pdfText } from '../helpers/pdf'
import { refusal } from '../helpers/refusal'

// 志愿服务记录证明 that meet the rules (issue 19): 谁记录谁证明, the holder's identity document (masked) and star, the
// issuer's person in charge, contact and seal as set when issued, requests, declines and revocation.

const NUMBER = '11010519491231002X'
const MASKED = '1101**********002X'

let t: TestApp
let w: World
/** Community C, where member A registered (双报到) and also served. */
let communityC: string
let secretaryC: string
/** Every answer body of this file, to prove the identity number is never in one. */
const answers: string[] = []

type Call = Parameters<TestApp['call']>[0]
async function call(opts: Call) {
  const res = await t.call(opts)
  answers.push(
    res.headers['content-type'] === 'application/pdf' ? (await pdfText(res.rawPayload)).text : res.body,
  )
  return res
}

const issue = (as: string, memberId: string, payload: Record<string, unknown>, key = uniq('k')) =>
  call({
    method: 'POST',
    url: `/api/v1/members/${memberId}/service-certificates`,
    as,
    headers: { 'idempotency-key': key },
    payload,
  })
const ask = (as: string, payload: Record<string, unknown>, key = uniq('k')) =>
  call({
    method: 'POST',
    url: '/api/v1/service-certificate-requests',
    as,
    headers: { 'idempotency-key': key },
    payload,
  })
const decline = (as: string, id: string, reason: string, key = uniq('k')) =>
  call({
    method: 'POST',
    url: `/api/v1/service-certificate-requests/${id}/decline`,
    as,
    headers: { 'idempotency-key': key },
    payload: { reason },
  })
const revoke = (as: string, id: string, reason: string, key = uniq('k')) =>
  call({
    method: 'POST',
    url: `/api/v1/service-certificates/${id}/revoke`,
    as,
    headers: { 'idempotency-key': key },
    payload: { reason },
  })
const list = (as: string, query = '') =>
  call({ method: 'GET', url: `/api/v1/service-certificate-requests${query}`, as })
const settings = (unit: string, body: unknown) =>
  call({ method: 'PATCH', url: `/api/v1/org-units/${unit}`, as: w.admin, payload: { settings: body } })

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  communityC = await createUnit(t.db, w.street, 'community', uniq('和平社区'))
  secretaryC = await createUser(t.db, { grants: [['secretary', communityC]] })
  await t.db.execute(
    sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
        values (${w.memberA.memberId}, ${communityC}, 'accepted', now())`,
  )
  const doc = await call({
    method: 'PATCH',
    url: `/api/v1/members/${w.memberA.memberId}`,
    as: w.secretaryA,
    payload: { identityDocument: { type: 'resident_id', number: NUMBER } },
  })
  expect(doc.statusCode, doc.body).toBe(200)
  // Two communities recorded member A's service: their home branch (and its grid), and community C.
  await verifiedActivity(t, w.secretaryA, w.branchA, [[w.memberA.memberId, '2.00']], {
    startsAt: '2026-03-07T01:00:00Z',
  })
  await verifiedActivity(t, w.secretaryA, w.gridA, [[w.memberA.memberId, '0.50']], {
    startsAt: '2026-03-08T01:00:00Z',
  })
  await verifiedActivity(t, secretaryC, communityC, [[w.memberA.memberId, '3.25']], {
    startsAt: '2026-04-11T01:00:00Z',
    length: 4,
  })
  expect(
    (
      await settings(w.communityA, {
        certificate: {
          personInCharge: '陈建国',
          contactPhone: '0311-86001234',
          sealText: '幸福社区居民委员会',
        },
        volunteerStars: [{ name: '新星', minHours: 5 }],
      })
    ).statusCode,
  ).toBe(200)
})

describe('谁记录谁证明: a member who served in two communities', () => {
  it('gets one certificate from each, each with only the service its unit recorded', async () => {
    const home = await issue(w.secretaryA, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' })
    expect(home.statusCode, home.body).toBe(201)
    expect(home.json()).toMatchObject({ issuerOrgUnitId: w.branchA, totalHours: '2.50' })
    expect(
      home
        .json()
        .records.map((r: { orgUnitId: string }) => r.orgUnitId)
        .sort(),
    ).toEqual([w.branchA, w.gridA].sort())
    const there = await issue(secretaryC, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' })
    expect(there.statusCode, there.body).toBe(201)
    expect(there.json()).toMatchObject({ issuerOrgUnitId: communityC, totalHours: '3.25' })
    expect(there.json().records).toHaveLength(1)
    // A unit above both (the street) certifies what its subtree recorded: all of it.
    const street = await issue(w.admin, w.memberA.memberId, {
      from: '2026-01-01',
      to: '2026-12-31',
      orgUnitId: w.street,
    })
    expect(street.json().totalHours).toBe('5.75')
  })
})

describe('what a certificate names', () => {
  it("prints the identity document masked, the star and the issuer's settings, and keeps them as issued", async () => {
    const res = await issue(w.secretaryA, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' })
    const c = res.json()
    expect(c).toMatchObject({
      maskedIdentity: MASKED,
      identityDocument: { type: 'resident_id', maskedNumber: MASKED },
      volunteerStar: '新星',
      issuerPersonInCharge: '陈建国',
      issuerContactPhone: '0311-86001234',
      issuerSealText: '幸福社区居民委员会',
      requestId: null,
      revokedAt: null,
      revocationReason: null,
    })
    const url = `/api/v1/members/${w.memberA.memberId}/service-certificates/${c.id}`
    const before = await call({ method: 'GET', url: `${url}.pdf`, as: w.memberA.userId })
    const { text } = await pdfText(before.rawPayload)
    for (const printed of [
      `居民身份证：${MASKED}`,
      '志愿者星级：新星',
      '负责人：陈建国',
      '联系电话：0311-86001234',
      '出具单位（盖章）：幸福社区居民委员会',
    ]) {
      expect(text).toContain(printed)
    }
    expect(text).not.toContain(NUMBER)

    // The unit changes its settings and the member their document: the certificate stays as issued.
    await settings(w.communityA, {
      certificate: { personInCharge: '刘新', contactPhone: null, sealText: null },
    })
    await call({
      method: 'PATCH',
      url: `/api/v1/members/${w.memberA.memberId}`,
      as: w.secretaryA,
      payload: { identityDocument: { type: 'passport', number: 'E12345678' } },
    })
    const again = await call({ method: 'GET', url, as: w.secretaryA })
    expect(again.json()).toEqual(c)
    expect(
      (await pdfText((await call({ method: 'GET', url: `${url}.pdf`, as: w.secretaryA })).rawPayload)).text,
    ).toBe(text)
    const next = (
      await issue(w.secretaryA, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' })
    ).json()
    expect(next).toMatchObject({
      identityDocument: { type: 'passport', maskedNumber: 'E*****678' },
      issuerPersonInCharge: '刘新',
      issuerContactPhone: null,
      issuerSealText: null,
    })
    await call({
      method: 'PATCH',
      url: `/api/v1/members/${w.memberA.memberId}`,
      as: w.secretaryA,
      payload: { identityDocument: { type: 'resident_id', number: NUMBER } },
    })
  })

  it('keeps no plain identity number in the certificates table', async () => {
    const found = await rows<{ row: string }>(t.db, sql`select c::text as row from service_certificates c`)
    expect(found.length).toBeGreaterThan(0)
    for (const r of found) expect(r.row).not.toContain(NUMBER)
  })
})

describe('requests: a member asks, the unit issues or declines', () => {
  it('issues from a request: its period and unit, the request then issued; twice is 409', async () => {
    const asked = await ask(w.memberA.userId, { from: '2026-03-01', to: '2026-03-31', orgUnitId: w.branchA })
    expect(asked.statusCode, asked.body).toBe(201)
    const request = asked.json()
    expect(request).toMatchObject({
      memberId: w.memberA.memberId,
      memberName: '张三',
      orgUnitId: w.branchA,
      from: '2026-03-01',
      to: '2026-03-31',
      status: 'pending',
      decidedAt: null,
      certificateId: null,
    })
    expect(await auditCount(t.db, request.id, 'service_certificate_request.create')).toBe(1)

    // One waiting request per unit.
    const twice = await ask(w.memberA.userId, { from: '2026-01-01', to: '2026-12-31', orgUnitId: w.branchA })
    expect(twice.statusCode).toBe(409)
    expect(twice.json().code).toBe('conflict')

    // The staff see it; staff of another community do not, and their issue or decline finds nothing.
    const staffList = await list(w.secretaryA, `?orgUnitId=${w.branchA}&status=pending`)
    expect(staffList.json().items.map((r: { id: string }) => r.id)).toContain(request.id)
    expect((await list(w.secretaryB, `?orgUnitId=${w.branchA}`)).statusCode).toBe(404)
    expect((await list(w.secretaryB)).json().items).toEqual([])
    expect((await issue(w.secretaryB, w.memberA.memberId, { requestId: request.id })).statusCode).toBe(404)
    expect((await decline(w.secretaryB, request.id, '不是本社区')).statusCode).toBe(404)
    // Community C's staff see member A, but the request is to branch A: not theirs.
    expect((await issue(secretaryC, w.memberA.memberId, { requestId: request.id })).statusCode).toBe(404)
    // Another member's certificate path with this request: 404.
    expect((await issue(w.admin, w.memberB.memberId, { requestId: request.id })).statusCode).toBe(404)
    // Given with the request, the period must be the request's.
    const other = await issue(w.secretaryA, w.memberA.memberId, { requestId: request.id, from: '2026-01-01' })
    expect(other.statusCode).toBe(422)
    expect(other.json().code).toBe('out_of_range')

    const issued = await issue(w.gridWorkerA, w.memberA.memberId, { requestId: request.id, to: '2026-03-31' })
    expect(issued.statusCode, issued.body).toBe(201)
    expect(issued.json()).toMatchObject({
      requestId: request.id,
      from: '2026-03-01',
      to: '2026-03-31',
      issuerOrgUnitId: w.branchA,
      totalHours: '2.50',
    })
    const mine = await list(w.memberA.userId)
    expect(mine.statusCode).toBe(200)
    expect(mine.json().items.find((r: { id: string }) => r.id === request.id)).toMatchObject({
      status: 'issued',
      certificateId: issued.json().id,
      decidedByUserId: w.gridWorkerA,
    })
    expect(await auditCount(t.db, request.id, 'service_certificate_request.issue')).toBe(1)
    // certificate.issued went to the outbox in the same transaction (issue 20), once.
    const events = await rows<{ type: string; data: Record<string, unknown> }>(
      t.db,
      sql`select type, data from events where subject_id = ${issued.json().id}`,
    )
    expect(events).toEqual([
      {
        type: 'certificate.issued',
        data: expect.objectContaining({
          certificateId: issued.json().id,
          memberId: w.memberA.memberId,
          serialNumber: issued.json().serialNumber,
          totalHours: '2.50',
          requestId: request.id,
        }),
      },
    ])

    const again = await issue(w.secretaryA, w.memberA.memberId, { requestId: request.id })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('invalid_state')
    expect((await decline(w.secretaryA, request.id, '重复')).statusCode).toBe(409)
    // Now the member may ask branch A again.
    expect(
      (await ask(w.memberA.userId, { from: '2026-04-01', to: '2026-04-30', orgUnitId: w.branchA }))
        .statusCode,
    ).toBe(201)
  })

  it('declines with a reason the member reads; deciding again is 409', async () => {
    const request = (
      await ask(w.memberA.userId, { from: '2026-01-01', to: '2026-06-30', orgUnitId: communityC })
    ).json()
    const declined = await decline(secretaryC, request.id, '请在服务满一年后申请')
    expect(declined.statusCode, declined.body).toBe(200)
    expect(declined.json()).toMatchObject({
      status: 'declined',
      declineReason: '请在服务满一年后申请',
      decidedByUserId: secretaryC,
      certificateId: null,
    })
    expect(declined.json().decidedAt).toMatch(/\+08:00$/)
    expect(await auditCount(t.db, request.id, 'service_certificate_request.decline')).toBe(1)
    const mine = (await list(w.memberA.userId, `?orgUnitId=${communityC}`)).json().items
    expect(mine.map((r: { id: string; status: string }) => [r.id, r.status])).toContainEqual([
      request.id,
      'declined',
    ])
    expect((await decline(secretaryC, request.id, '再拒一次')).json().code).toBe('invalid_state')
    expect((await issue(secretaryC, w.memberA.memberId, { requestId: request.id })).json().code).toBe(
      'invalid_state',
    )
    // A blank reason is no reason.
    const blank = (
      await ask(w.memberA.userId, { from: '2026-07-01', to: '2026-07-31', orgUnitId: communityC })
    ).json()
    expect((await decline(secretaryC, blank.id, '   ')).statusCode).toBe(400)
  })

  it('takes a request only for a unit that may certify the member; others get 403', async () => {
    // Member B (branch B) never served at branch A nor registered there.
    expect(
      (await ask(w.memberB.userId, { from: '2026-01-01', to: '2026-12-31', orgUnitId: w.branchA }))
        .statusCode,
    ).toBe(404)
    expect(
      (await ask(w.memberB.userId, { from: '2026-01-01', to: '2026-12-31', orgUnitId: w.gridA })).statusCode,
    ).toBe(404)
    // Staff without a member record ask for no one.
    expect(
      (await ask(w.secretaryA, { from: '2026-01-01', to: '2026-12-31', orgUnitId: w.branchA })).statusCode,
    ).toBe(403)
    expect((await list(w.clerkA)).statusCode).toBe(403)
    const backwards = await ask(w.memberB.userId, {
      from: '2026-12-31',
      to: '2026-01-01',
      orgUnitId: w.branchB,
    })
    expect(backwards.statusCode).toBe(400)
    // Member B sees only their own requests.
    const own = await ask(w.memberB.userId, { from: '2026-01-01', to: '2026-12-31', orgUnitId: w.branchB })
    expect(own.statusCode).toBe(201)
    const theirs = (await list(w.memberB.userId)).json().items
    expect(theirs.map((r: { memberId: string }) => r.memberId)).toEqual([w.memberB.memberId])
  })

  it('replays a request under the same key', async () => {
    const key = uniq('ask')
    const body = { from: '2025-01-01', to: '2025-12-31', orgUnitId: w.district }
    const first = await ask(w.memberA.userId, body, key)
    const replay = await ask(w.memberA.userId, body, key)
    expect(first.statusCode, first.body).toBe(201)
    expect(replay.statusCode).toBe(201)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(replay.json()).toEqual(first.json())
  })

  it('holds the state machine in the database', async () => {
    const request = (
      await ask(w.memberA.userId, { from: '2024-01-01', to: '2024-12-31', orgUnitId: w.street })
    ).json()
    // Issued without a certificate issued from it: refused.
    expect(
      (
        await refusal(
          t.db.execute(sql`update service_certificate_requests set status = 'issued', decided_at = now(),
                         decided_by = ${w.admin}, certificate_id = (select id from service_certificates limit 1)
                       where id = ${request.id}`),
        )
      ).message,
    ).toMatch(/issued only with a certificate issued from it/)
    await decline(w.admin, request.id, '年度过早')
    expect(
      (
        await refusal(
          t.db.execute(sql`update service_certificate_requests set status = 'pending', decided_at = null,
                         decided_by = null, decline_reason = null where id = ${request.id}`),
        )
      ).message,
    ).toMatch(/declined and final/)
    expect(
      (
        await refusal(
          t.db.execute(
            sql`update service_certificate_requests set decline_reason = 'x' where id = ${request.id}`,
          ),
        )
      ).message,
    ).toMatch(/final/)
    expect(
      (await refusal(t.db.execute(sql`delete from service_certificate_requests where id = ${request.id}`)))
        .message,
    ).toMatch(/never deleted/)
    // A declined request without a reason, or a pending one with a certificate: the CHECK refuses it.
    expect(
      (
        await refusal(
          t.db.execute(sql`insert into service_certificate_requests (member_id, org_unit_id, period_from, period_to,
                         status, requested_by, decided_at, decided_by)
                       values (${w.memberA.memberId}, ${w.branchA}, '2026-01-01', '2026-01-31', 'declined',
                         ${w.admin}, now(), ${w.admin})`),
        )
      ).message,
    ).toMatch(/service_certificate_requests_state_chk/)
  })
})

describe('revocation', () => {
  it('voids the public check with the date and changes nothing else; again is 409 already_revoked', async () => {
    const c = (await issue(w.secretaryA, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' })).json()
    expect((await revoke(w.gridWorkerA, c.id, '录入错误')).statusCode).toBe(403)
    expect((await revoke(w.secretaryB, c.id, '录入错误')).statusCode).toBe(404)
    expect((await revoke(secretaryC, c.id, '录入错误')).statusCode).toBe(404)
    expect((await revoke(w.memberA.userId, c.id, '录入错误')).statusCode).toBe(403)
    expect((await revoke(w.secretaryA, c.id, '  ')).statusCode).toBe(400)

    const key = uniq('revoke')
    const revoked = await revoke(w.secretaryA, c.id, '服务记录录入有误', key)
    expect(revoked.statusCode, revoked.body).toBe(200)
    const { revokedAt, revocationReason, ...rest } = revoked.json()
    expect(revocationReason).toBe('服务记录录入有误')
    expect(revokedAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*\+08:00$/)
    const { revokedAt: _a, revocationReason: _r, ...original } = c
    expect(rest).toEqual(original)
    expect(await auditCount(t.db, c.id, 'service_certificate.revoke')).toBe(1)

    const check = await t.app.inject({
      method: 'GET',
      url: `/api/v1/service-certificates/${c.verificationCode}`,
    })
    expect(check.json()).toEqual({
      valid: false,
      serialNumber: c.serialNumber,
      memberName: '张三',
      totalHours: c.totalHours,
      issuedAt: c.issuedAt,
      issuer: c.issuerName,
      revokedAt,
    })
    const page = await t.app.inject({
      method: 'GET',
      url: `/service-certificates/${c.verificationCode}`,
      headers: { accept: 'text/html' },
    })
    expect(page.body).toContain('已撤销')
    expect(page.body).toContain('撤销时间')

    const replay = await revoke(w.secretaryA, c.id, '服务记录录入有误', key)
    expect(replay.statusCode).toBe(200)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    const twice = await revoke(w.admin, c.id, '再撤一次')
    expect(twice.statusCode).toBe(409)
    expect(twice.json().code).toBe('already_revoked')
    expect(twice.json().detail).toContain(revokedAt)

    const url = `/api/v1/members/${w.memberA.memberId}/service-certificates/${c.id}`
    expect((await call({ method: 'GET', url, as: w.memberA.userId })).json()).toEqual(revoked.json())
    const pdf = await pdfText(
      (await call({ method: 'GET', url: `${url}.pdf`, as: w.memberA.userId })).rawPayload,
    )
    expect(pdf.text).toContain('撤销，不再有效')
    expect(pdf.text).toContain(c.serialNumber)
  })

  it('is the one change the database lets a certificate take', async () => {
    const c = (await issue(w.secretaryA, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' })).json()
    expect(
      (
        await refusal(
          t.db.execute(sql`update service_certificates set total_hours_cents = 99999 where id = ${c.id}`),
        )
      ).message,
    ).toMatch(/kept as issued/)
    expect(
      (
        await refusal(
          t.db.execute(sql`update service_certificates set revoked_at = now(), revocation_reason = 'x',
                         revoked_by = ${w.admin}, member_name = '别人' where id = ${c.id}`),
        )
      ).message,
    ).toMatch(/kept as issued/)
    expect(
      (
        await refusal(
          t.db.execute(sql`update service_certificates set revoked_at = now() where id = ${c.id}`),
        )
      ).message,
    ).toMatch(/service_certificates_revoked_chk/)
    await t.db.execute(sql`update service_certificates set revoked_at = now(), revocation_reason = 'x',
                             revoked_by = ${w.admin} where id = ${c.id}`)
    expect(
      (
        await refusal(
          t.db.execute(sql`update service_certificates set revocation_reason = 'y' where id = ${c.id}`),
        )
      ).message,
    ).toMatch(/already revoked/)
    expect(
      (await refusal(t.db.execute(sql`delete from service_certificates where id = ${c.id}`))).message,
    ).toMatch(/append-only/)
    const row = await one<{ reason: string }>(
      t.db,
      sql`select revocation_reason as reason from service_certificates where id = ${c.id}`,
    )
    expect(row!.reason).toBe('x')
  })
})

describe('the identity number', () => {
  it('never appears in clear in any answer of this file (JSON, PDF text)', () => {
    expect(answers.length).toBeGreaterThan(30)
    for (const body of answers) expect(body).not.toContain(NUMBER)
  })
})
