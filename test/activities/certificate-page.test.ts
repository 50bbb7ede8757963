import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { renderCertificatePdf } from '../../src/modules/activities/pdf'
import { verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUser, createWorld, uniq, type World } from '../helpers/factories'

// The verification URL printed on a certificate (PUBLIC_BASE_URL + /service-certificates/<code>), its QR code, and
// the page that URL opens in a browser.
let t: TestApp
let w: World
let secretary: string
let certificate: Record<string, string>
let scripted: Record<string, string>

async function issue(as: string, memberId: string) {
  const res = await t.call({
    method: 'POST',
    url: `/api/v1/members/${memberId}/service-certificates`,
    as,
    headers: { 'idempotency-key': uniq('cert') },
    payload: { from: '2026-01-01', to: '2026-12-31' },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  // A secretary who is a member of her branch: what she signs carries her name, not her login.
  const herself = await createMember(t.db, w.branchA, { name: '周秀英' })
  secretary = await createUser(t.db, {
    username: uniq('secretary-login'),
    grants: [['secretary', w.branchA]],
    memberId: herself,
  })
  const member = await createMember(t.db, w.branchA, { name: '王小明' })
  const odd = await createMember(t.db, w.branchA, { name: '<script>alert("x")</script>' })
  await verifiedActivity(
    t,
    w.secretaryA,
    w.branchA,
    [
      [member, '2.50'],
      [odd, '1.00'],
    ],
    { startsAt: '2026-05-10T01:00:00Z' },
  )
  certificate = await issue(secretary, member)
  scripted = await issue(secretary, odd)
})

async function pdfText(pdf: Buffer): Promise<string> {
  const doc = await getDocument({ data: new Uint8Array(pdf) }).promise
  let text = ''
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent()
    text += content.items.map((item) => ('str' in item ? item.str : '')).join('')
  }
  return text
}

describe('the printed certificate', () => {
  it('names the issuing person (经办人) by their member name, not their username', () => {
    expect(certificate.issuedByName).toBe('周秀英')
  })

  it('prints the absolute verification URL of PUBLIC_BASE_URL and the 经办人’s name', async () => {
    const pdf = await renderCertificatePdf(
      certificate as never,
      'Asia/Shanghai',
      'https://points.example.org/xf/',
    )
    const text = await pdfText(pdf)
    expect(text).toContain('经办人：周秀英')
    expect(text).toContain(
      `https://points.example.org/xf/service-certificates/${certificate.verificationCode}`,
    )
    expect(text).not.toContain('GET /api/v1')
  })

  it('serves the PDF from the API with the app’s base URL (default http://localhost:3000)', async () => {
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/members/${certificate.memberId}/service-certificates/${certificate.id}.pdf`,
      as: w.secretaryA,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/pdf')
    expect(await pdfText(res.rawPayload)).toContain(
      `http://localhost:3000/service-certificates/${certificate.verificationCode}`,
    )
  })
})

describe('GET /service-certificates/{code} (the page the printed URL opens)', () => {
  it('answers a self-contained HTML page in Chinese with the certificate’s facts', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/service-certificates/${certificate.verificationCode}`,
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('<html lang="zh-CN">')
    for (const fact of [
      certificate.serialNumber,
      '王小明',
      '2.50 小时',
      '2026-01-01 至 2026-12-31',
      certificate.issuerName,
      '有效',
    ]) {
      expect(res.body).toContain(fact)
    }
    // Nothing loads from anywhere: inline styles only, no script, no external asset.
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    expect(res.body).not.toMatch(/<script|src=|href=/i)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
  })

  it('takes the code as people type it (case, spaces, hyphens) and shows the page to curl too', async () => {
    const typed = certificate.verificationCode!.toLowerCase().replace(/(.{5})/g, '$1-')
    const res = await t.app.inject({ method: 'GET', url: `/service-certificates/${typed}` })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain(certificate.serialNumber)
  })

  it('escapes what it prints: a member named <script> is text, never markup', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/service-certificates/${scripted.verificationCode}`,
    })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(res.body).not.toContain('<script>')
  })

  it('answers the API verification’s JSON to Accept: application/json', async () => {
    const api = await t.app.inject({
      method: 'GET',
      url: `/api/v1/service-certificates/${certificate.verificationCode}`,
    })
    const res = await t.app.inject({
      method: 'GET',
      url: `/service-certificates/${certificate.verificationCode}`,
      headers: { accept: 'application/json' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual(api.json())
    expect(res.json()).toMatchObject({ valid: true, memberName: '王小明', totalHours: '2.50' })
  })

  it('answers a 404 page for an unknown code, and problem+json 404 to a JSON client', async () => {
    const page = await t.app.inject({ method: 'GET', url: `/service-certificates/${'1'.repeat(26)}` })
    expect(page.statusCode).toBe(404)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('未找到')
    const malformed = await t.app.inject({ method: 'GET', url: '/service-certificates/%3Cb%3E' })
    expect(malformed.statusCode).toBe(404)
    expect(malformed.body).toContain('未找到')
    expect(malformed.body).not.toContain('<b>')
    const json = await t.app.inject({
      method: 'GET',
      url: `/service-certificates/${'1'.repeat(26)}`,
      headers: { accept: 'application/json' },
    })
    expect(json.statusCode).toBe(404)
    expect(json.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(json.json().code).toBe('not_found')
  })

  it('is not an operation of the OpenAPI document (like /docs)', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(Object.keys(doc.paths)).toContain('/api/v1/service-certificates/{verificationCode}')
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/service-certificates'))).toEqual([])
  })
})

describe('the page’s rate limit', () => {
  let limited: TestApp
  beforeAll(async () => {
    limited = await buildTestApp({ loginRateLimit: 3 })
  })
  afterAll(async () => {
    await limited.app.close()
  })

  it('shares the API verification’s budget per address, and says so in a page', async () => {
    const codes: number[] = []
    let last = ''
    for (const url of [
      `/api/v1/service-certificates/${'2'.repeat(26)}`,
      `/service-certificates/${'2'.repeat(26)}`,
      `/api/v1/service-certificates/${'2'.repeat(26)}`,
      `/service-certificates/${'2'.repeat(26)}`,
    ]) {
      // An address of its own: the budget is shared by every app on this file's database.
      const res = await limited.app.inject({ method: 'GET', url, remoteAddress: '198.51.100.91' })
      codes.push(res.statusCode)
      last = res.body
      if (res.statusCode === 429) {
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
        expect(res.headers['retry-after']).toBeDefined()
      }
    }
    expect(codes).toEqual([404, 404, 404, 429])
    expect(last).toContain('过于频繁')
  })
})

describe('PUBLIC_BASE_URL', () => {
  const base = { DATABASE_URL: 'postgres://h/db', JWT_SECRET: 's'.repeat(32), PII_KEY: 'a'.repeat(64) }

  it('defaults to http://localhost:<PORT> and keeps a configured URL without its trailing slash', () => {
    expect(loadConfig(base).publicBaseUrl).toBe('http://localhost:3000')
    expect(loadConfig({ ...base, PORT: '8080' }).publicBaseUrl).toBe('http://localhost:8080')
    expect(loadConfig({ ...base, PUBLIC_BASE_URL: 'https://points.example.org/xf/' }).publicBaseUrl).toBe(
      'https://points.example.org/xf',
    )
  })

  it.each([
    'points.example.org',
    'ftp://points.example.org',
    'https://points.example.org/?a=1',
    'https://user:pw@points.example.org',
  ])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ ...base, PUBLIC_BASE_URL: value })).toThrow(/PUBLIC_BASE_URL/)
  })
})
