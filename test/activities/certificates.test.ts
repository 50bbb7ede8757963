import { sql } from 'drizzle-orm'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { auditCount, createPastActivity, recordHours, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUser, createWorld, uniq, type World } from '../helpers/factories'

let t: TestApp
let w: World
let memberId: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  memberId = await createMember(t.db, w.branchA, { name: '王小明', phone: '13812345678' })
  // The national rules ask for the holder's identity document: certificates print it masked (never the phone).
  const doc = await t.call({
    method: 'PATCH',
    url: `/api/v1/members/${memberId}`,
    as: w.secretaryA,
    payload: { identityDocument: { type: 'resident_id', number: '11010519491231002X' } },
  })
  expect(doc.statusCode, doc.body).toBe(200)
  await verifiedActivity(t, w.secretaryA, w.branchA, [[memberId, '2.50']], {
    startsAt: '2026-05-10T01:00:00Z',
  })
  await verifiedActivity(t, w.secretaryA, w.gridA, [[memberId, '1.25']], { startsAt: '2026-06-01T01:00:00Z' })
  await verifiedActivity(t, w.secretaryA, w.branchA, [[memberId, '9.00']], {
    startsAt: '2025-12-01T01:00:00Z',
    length: 10,
  })
  const open = await createPastActivity(t, w.secretaryA, w.branchA, { startsAt: '2026-05-11T01:00:00Z' })
  await recordHours(t, w.secretaryA, open, memberId, '1.00')
})

function issue(
  as: string,
  member: string,
  payload: Record<string, unknown>,
  opts: { key?: string; accept?: string; app?: TestApp } = {},
) {
  return (opts.app ?? t).call({
    method: 'POST',
    url: `/api/v1/members/${member}/service-certificates`,
    as,
    headers: { 'idempotency-key': opts.key ?? uniq('key'), ...(opts.accept ? { accept: opts.accept } : {}) },
    payload,
  })
}

async function pdfText(pdf: Buffer): Promise<{ text: string; pages: number; size: number[] }> {
  const doc = await getDocument({ data: new Uint8Array(pdf) }).promise
  let text = ''
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i)
    const content = await page.getTextContent()
    text += content.items.map((item) => ('str' in item ? item.str : '')).join('')
  }
  const first = await doc.getPage(1)
  return { text, pages: doc.numPages, size: first.view.slice(2) }
}

describe('POST /api/v1/members/{id}/service-certificates', () => {
  it('certifies the verified hours of the period with their records, a serial and a verification code', async () => {
    const res = await issue(w.secretaryA, memberId, { from: '2026-01-01', to: '2026-12-31' })
    expect(res.statusCode, res.body).toBe(201)
    const c = res.json()
    expect(c).toMatchObject({
      memberId,
      memberName: '王小明',
      maskedIdentity: '1101**********002X',
      identityDocument: { type: 'resident_id', maskedNumber: '1101**********002X' },
      from: '2026-01-01',
      to: '2026-12-31',
      totalHours: '3.75',
      issuerOrgUnitId: w.branchA,
    })
    expect(c.records.map((r: { date: string; hours: string }) => [r.date, r.hours])).toEqual([
      ['2026-05-10', '2.50'],
      ['2026-06-01', '1.25'],
    ])
    expect(c.serialNumber).toMatch(/^\d{4}-[0-9A-F]{8}-\d{5}$/)
    expect(c.verificationCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(await auditCount(t.db, c.id, 'service_certificate.issue')).toBe(1)
  })

  it('replays the same answer for the same key and refuses the key with another body', async () => {
    const key = uniq('cert')
    const first = await issue(w.secretaryA, memberId, { from: '2026-05-01', to: '2026-05-31' }, { key })
    const again = await issue(w.secretaryA, memberId, { from: '2026-05-01', to: '2026-05-31' }, { key })
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    const n = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from service_certificates where serial_number = ${first.json().serialNumber}`,
    )
    expect(n!.n).toBe('1')
    const other = await issue(w.secretaryA, memberId, { from: '2026-05-01', to: '2026-06-30' }, { key })
    expect(other.statusCode).toBe(409)
    expect(other.json().code).toBe('idempotency_key_reused')
    const noKey = await t.call({
      method: 'POST',
      url: `/api/v1/members/${memberId}/service-certificates`,
      as: w.secretaryA,
      payload: { from: '2026-05-01', to: '2026-05-31' },
    })
    expect(noKey.statusCode).toBe(400)
  })

  it('answers a printable A4 PDF whose text holds the name and the hours', async () => {
    const res = await issue(
      w.secretaryA,
      memberId,
      { from: '2026-01-01', to: '2026-12-31' },
      { accept: 'application/pdf' },
    )
    expect(res.statusCode).toBe(201)
    expect(res.headers['content-type']).toBe('application/pdf')
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
    // A subset of the CJK font, not the whole 10 MB face.
    expect(res.rawPayload.length).toBeLessThan(200_000)
    const { text, size } = await pdfText(res.rawPayload)
    expect(size.map(Math.round)).toEqual([595, 842])
    for (const expected of [
      '志愿服务记录证明',
      '王小明',
      '居民身份证：1101**********002X',
      '3.75',
      '2.50',
      '1.25',
      '社区清洁志愿活动',
    ]) {
      expect(text).toContain(expected)
    }
    expect(text).not.toContain('13812345678')
    expect(text).not.toContain('11010519491231002X')
  })

  it('fills more than one page when there are many records', async () => {
    const m = await createMember(t.db, w.branchA, { name: '钱多多' })
    for (let i = 0; i < 30; i++) {
      const day = String((i % 28) + 1).padStart(2, '0')
      const month = i < 28 ? '07' : '08'
      await verifiedActivity(t, w.gridWorkerA, w.branchA, [[m, '0.50']], {
        startsAt: `2026-${month}-${day}T01:00:00Z`,
      })
    }
    const res = await issue(
      w.secretaryA,
      m,
      { from: '2026-07-01', to: '2026-08-31' },
      { accept: 'application/pdf' },
    )
    const { text, pages } = await pdfText(res.rawPayload)
    expect(pages).toBeGreaterThan(1)
    expect(text).toContain('15.00')
  })

  it('numbers serials per issuing unit and year without gaps or repeats under concurrency', async () => {
    const world = await createWorld(t.db)
    const other = await buildTestApp()
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        issue(
          world.secretaryA,
          world.memberA.memberId,
          { from: '2026-01-01', to: '2026-12-31' },
          {
            app: i % 2 ? other : t,
          },
        ),
      ),
    )
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    const seqs = results.map((r) => Number(r.json().serialNumber.split('-').pop())).sort((a, b) => a - b)
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    await other.app.close()
  })

  it('answers 404 outside scope, 403 to a member, 400 for a reversed period; writes nothing', async () => {
    const before = await rows(t.db, sql`select id from service_certificates`)
    expect((await issue(w.secretaryB, memberId, { from: '2026-01-01', to: '2026-12-31' })).statusCode).toBe(
      404,
    )
    expect(
      (await issue(w.memberA.userId, w.memberA.memberId, { from: '2026-01-01', to: '2026-12-31' }))
        .statusCode,
    ).toBe(403)
    expect((await issue(w.secretaryA, memberId, { from: '2026-12-31', to: '2026-01-01' })).statusCode).toBe(
      400,
    )
    const unrelated = await issue(w.admin, memberId, {
      from: '2026-01-01',
      to: '2026-12-31',
      orgUnitId: w.branchB,
    })
    expect(unrelated.statusCode).toBe(422)
    expect(await rows(t.db, sql`select id from service_certificates`)).toHaveLength(before.length)
  })

  it('lets the community a member registered with (双报到) issue one in its own name', async () => {
    const world = await createWorld(t.db)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${world.memberB.memberId}, ${world.communityA}, 'accepted', now())`,
    )
    const communitySecretary = await createUser(t.db, { grants: [['secretary', world.communityA]] })
    const res = await issue(communitySecretary, world.memberB.memberId, {
      from: '2026-01-01',
      to: '2026-12-31',
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().issuerOrgUnitId).toBe(world.communityA)
  })
})

describe('GET /api/v1/members/{id}/service-certificates[/{certificateId}]', () => {
  it('lists a member certificates newest first and gives one again, as JSON or PDF, to staff and the member', async () => {
    const world = await createWorld(t.db)
    await verifiedActivity(t, world.secretaryA, world.branchA, [[world.memberA.memberId, '1.50']], {
      startsAt: '2026-04-02T01:00:00Z',
    })
    const first = (
      await issue(world.secretaryA, world.memberA.memberId, { from: '2026-01-01', to: '2026-06-30' })
    ).json()
    const second = await issue(world.secretaryA, world.memberA.memberId, {
      from: '2026-04-01',
      to: '2026-04-30',
    })
    expect(second.headers.location).toBe(
      `/api/v1/members/${world.memberA.memberId}/service-certificates/${second.json().id}`,
    )
    const base = `/api/v1/members/${world.memberA.memberId}/service-certificates`
    const list = await t.call({ method: 'GET', url: `${base}?limit=1`, as: world.memberA.userId })
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json().items.map((c: { id: string }) => c.id)).toEqual([second.json().id])
    const rest = await t.call({
      method: 'GET',
      url: `${base}?cursor=${list.json().nextCursor}`,
      as: world.secretaryA,
    })
    expect(rest.json().items.map((c: { id: string }) => c.id)).toEqual([first.id])

    const again = await t.call({ method: 'GET', url: `${base}/${first.id}`, as: world.gridWorkerA })
    expect(again.json()).toEqual(first)
    const pdf = await t.call({
      method: 'GET',
      url: `${base}/${first.id}`,
      as: world.memberA.userId,
      headers: { accept: 'application/pdf' },
    })
    expect(pdf.headers['content-type']).toBe('application/pdf')
    expect((await pdfText(pdf.rawPayload)).text).toContain(first.serialNumber)
    // GET <certificate>.pdf, the file operation: the same PDF without an Accept header.
    const file = await t.call({ method: 'GET', url: `${base}/${first.id}.pdf`, as: world.memberA.userId })
    expect(file.statusCode).toBe(200)
    expect(file.headers['content-type']).toBe('application/pdf')
    expect(file.headers['content-disposition']).toBe(pdf.headers['content-disposition'])
    expect((await pdfText(file.rawPayload)).text).toBe((await pdfText(pdf.rawPayload)).text)

    for (const as of [world.memberB.userId, world.secretaryB]) {
      expect((await t.call({ method: 'GET', url: base, as })).statusCode).toBe(404)
      expect((await t.call({ method: 'GET', url: `${base}/${first.id}`, as })).statusCode).toBe(404)
      expect((await t.call({ method: 'GET', url: `${base}/${first.id}.pdf`, as })).statusCode).toBe(404)
    }
    const otherMember = `/api/v1/members/${world.memberB.memberId}/service-certificates/${first.id}`
    expect((await t.call({ method: 'GET', url: otherMember, as: world.admin })).statusCode).toBe(404)
  })
})

describe('GET /api/v1/service-certificates/{verificationCode}', () => {
  it('verifies without a token and shows nothing more personal than name and hours', async () => {
    const issued = (await issue(w.secretaryA, memberId, { from: '2026-01-01', to: '2026-12-31' })).json()
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/service-certificates/${issued.verificationCode}`,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      valid: true,
      serialNumber: issued.serialNumber,
      memberName: '王小明',
      totalHours: '3.75',
      issuedAt: issued.issuedAt,
      issuer: expect.any(String),
      revokedAt: null,
    })
    const typed = issued.verificationCode.toLowerCase().replace(/(.{5})/g, '$1-')
    const loose = await t.app.inject({ method: 'GET', url: `/api/v1/service-certificates/${typed}` })
    expect(loose.statusCode).toBe(200)
  })

  it('answers 404 for an unknown or malformed code', async () => {
    for (const code of ['0'.repeat(26), 'nope']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/service-certificates/${code}` })
      expect(res.statusCode).toBe(404)
      expect(res.json().code).toBe('not_found')
    }
  })
})

describe('verification rate limit', () => {
  let limited: TestApp
  beforeAll(async () => {
    limited = await buildTestApp({ loginRateLimit: 3 })
  })
  afterAll(async () => {
    await limited.app.close()
  })

  it('answers 429 rate_limited with Retry-After once an address has tried too often', async () => {
    const codes = []
    for (let i = 0; i < 4; i++) {
      const res = await limited.app.inject({
        method: 'GET',
        url: `/api/v1/service-certificates/${'1'.repeat(26)}`,
        // The budget is shared by every app on this file's database (as by every process): an address of its own.
        remoteAddress: '198.51.100.77',
      })
      codes.push(res.statusCode)
      if (res.statusCode === 429) {
        expect(res.json().code).toBe('rate_limited')
        expect(res.headers['retry-after']).toBeDefined()
      }
    }
    expect(codes).toEqual([404, 404, 404, 429])
  })
})
