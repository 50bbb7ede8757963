import { randomInt } from 'node:crypto'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { one, rows } from '../../src/db/client'
import { openIdentityNumber, residentIdCheck } from '../../src/modules/members/identity'
import { newPiiKey, parsePiiKey, piiKeyring } from '../../src/shared/pii'
import { buildTestApp, TEST_PII_KEY, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World
/** Every body the API answered in this file: none may hold a number in clear. */
const answered: string[] = []

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

/** A fresh valid 居民身份证 number (region 1301, a birth date, a random sequence, its check digit). */
function residentId(): string {
  const first17 = `130102198${randomInt(0, 10)}0${randomInt(1, 10)}1${randomInt(1, 10)}${String(randomInt(0, 1000)).padStart(3, '0')}`
  return first17 + residentIdCheck(first17)
}

async function call(opts: Parameters<TestApp['call']>[0]) {
  const res = await t.call(opts)
  answered.push(res.body)
  return res
}

const create = (as: string, payload: Record<string, unknown>) =>
  call({ method: 'POST', url: '/api/v1/members', as, payload: { isPartyMember: true, ...payload } })

const memberRow = (id: string) =>
  one<{
    row: string
    type: string | null
    sealed: string | null
    hash: string | null
    masked: string | null
  }>(
    t.db,
    sql`select row_to_json(m)::text as row, identity_type as type, identity_sealed as sealed,
               identity_hash as hash, identity_masked as masked
        from members m where id = ${id}`,
  )

const keyring = piiKeyring([parsePiiKey(TEST_PII_KEY)])

describe('identity document', () => {
  it('is stored sealed, answered masked, and never in clear in the table or the audit', async () => {
    const number = residentId()
    const res = await create(w.secretaryA, {
      orgUnitId: w.branchA,
      name: '王证件',
      identityDocument: { type: 'resident_id', number },
    })
    expect(res.statusCode, res.body).toBe(201)
    const member = res.json()
    const masked = `${number.slice(0, 4)}**********${number.slice(-4)}`
    expect(member.identityDocument).toEqual({ type: 'resident_id', maskedNumber: masked })
    expect(res.body).not.toContain(number)

    const row = (await memberRow(member.id))!
    expect(row.row).not.toContain(number)
    expect(row.row).not.toContain(number.slice(4, 14))
    expect(row).toMatchObject({ type: 'resident_id', masked })
    expect(row.sealed).toMatch(/^pii1\.[0-9a-f]{8}\./)
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/)
    // The sealed value opens under the key, for this member only.
    expect(openIdentityNumber(keyring, member.id, row.sealed!)).toBe(number)
    expect(() => openIdentityNumber(keyring, w.memberA.memberId, row.sealed!)).toThrow(/does not open/)

    const audit = await rows<{ action: string; text: string }>(
      t.db,
      sql`select action, concat(before::text, after::text) as text from audit_events where target_id = ${member.id}`,
    )
    expect(audit.map((a) => a.action).sort()).toEqual(['member.create', 'member.identity_document.set'])
    for (const a of audit) expect(a.text).not.toContain(number)
    expect(audit.find((a) => a.action === 'member.identity_document.set')!.text).toContain(masked)
  })

  it('refuses a number that is not one (format, 居民身份证 check digit), naming the field', async () => {
    const number = residentId()
    const wrongCheck = number.slice(0, 17) + (number[17] === '1' ? '2' : '1')
    for (const identityDocument of [
      { type: 'resident_id', number: wrongCheck },
      { type: 'resident_id', number: '12345' },
      { type: 'hk_macao_permit', number: 'X12345678' },
    ]) {
      const res = await create(w.secretaryA, { orgUnitId: w.branchA, name: '错号', identityDocument })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors[0].field).toBe('identityDocument.number')
    }
    const res = await create(w.secretaryA, {
      orgUnitId: w.branchA,
      name: '错类',
      identityDocument: { type: 'driving_licence', number: '123456789' },
    })
    expect(res.statusCode).toBe(400)
  })

  it('finds a member by the number through its keyed hash, within the caller’s scope only', async () => {
    const number = `${residentId().slice(0, 17)}`
    const full = number + residentIdCheck(number)
    const created = (
      await create(w.secretaryA, {
        orgUnitId: w.branchA,
        name: '查找',
        identityDocument: { type: 'resident_id', number: full.toLowerCase() },
      })
    ).json()
    const search = (as: string, n: string) =>
      call({ method: 'GET', url: `/api/v1/members?identityNumber=${encodeURIComponent(n)}`, as })
    const found = await search(w.secretaryA, `${full.slice(0, 6)} ${full.slice(6)}`)
    expect(found.statusCode, found.body).toBe(200)
    expect(found.json().items.map((m: { id: string }) => m.id)).toEqual([created.id])
    expect((await search(w.secretaryA, residentId())).json().items).toEqual([])
    // Another branch's secretary learns nothing of it.
    expect((await search(w.secretaryB, full)).json().items).toEqual([])
    // The query matched the hash: nothing in the table equals the number.
    const plain = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from members m where row_to_json(m)::text like ${`%${full}%`}`,
    )
    expect(Number(plain!.n)).toBe(0)
  })

  it('the roster CSV carries the mask only', async () => {
    const number = residentId()
    await create(w.secretaryA, {
      orgUnitId: w.branchA,
      name: '名册',
      identityDocument: { type: 'resident_id', number },
    })
    const res = await call({
      method: 'GET',
      url: `/api/v1/members.csv?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
    })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('identityNumberMasked')
    expect(res.body).toContain(`${number.slice(0, 4)}**********${number.slice(-4)}`)
    expect(res.body).not.toContain(number)
  })

  it('a member sets their own, a secretary changes and removes it, each audited with the mask only', async () => {
    const id = w.memberA.memberId
    const passport = 'E12345678'
    const own = await call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.memberA.userId,
      payload: { identityDocument: { type: 'passport', number: passport } },
    })
    expect(own.statusCode, own.body).toBe(200)
    expect(own.json().identityDocument).toEqual({ type: 'passport', maskedNumber: 'E*****678' })

    const number = residentId()
    const changed = await call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.secretaryA,
      payload: { identityDocument: { type: 'resident_id', number } },
    })
    expect(changed.json().identityDocument.type).toBe('resident_id')
    // The same document again changes nothing and writes no event.
    await call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.secretaryA,
      payload: { identityDocument: { type: 'resident_id', number } },
    })
    const read = await call({ method: 'GET', url: `/api/v1/members/${id}`, as: w.memberA.userId })
    expect(read.json().identityDocument.maskedNumber).toBe(
      `${number.slice(0, 4)}**********${number.slice(-4)}`,
    )
    const removed = await call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.secretaryA,
      payload: { identityDocument: null },
    })
    expect(removed.json().identityDocument).toBeNull()
    expect((await memberRow(id))!).toMatchObject({ type: null, sealed: null, hash: null, masked: null })

    const events = await rows<{ action: string; before: unknown; after: unknown }>(
      t.db,
      sql`select action, before, after from audit_events
          where target_id = ${id} and action like 'member.identity_document.%' order by at, id`,
    )
    expect(events).toEqual([
      {
        action: 'member.identity_document.set',
        before: null,
        after: { type: 'passport', maskedNumber: 'E*****678' },
      },
      {
        action: 'member.identity_document.set',
        before: { type: 'passport', maskedNumber: 'E*****678' },
        after: { type: 'resident_id', maskedNumber: `${number.slice(0, 4)}**********${number.slice(-4)}` },
      },
      {
        action: 'member.identity_document.remove',
        before: { type: 'resident_id', maskedNumber: `${number.slice(0, 4)}**********${number.slice(-4)}` },
        after: null,
      },
    ])
    for (const e of events) expect(JSON.stringify(e)).not.toContain(number)
    expect(JSON.stringify(events)).not.toContain(passport)
  })

  it('a member of another branch cannot set someone else’s', async () => {
    const res = await call({
      method: 'PATCH',
      url: `/api/v1/members/${w.memberA.memberId}`,
      as: w.memberB.userId,
      payload: { identityDocument: { type: 'passport', number: 'E99999999' } },
    })
    expect(res.statusCode).toBe(404)
  })

  it('no answer of this file held a full number', async () => {
    const numbers = await rows<{ id: string; sealed: string }>(
      t.db,
      sql`select id, identity_sealed as sealed from members where identity_sealed is not null`,
    )
    expect(numbers.length).toBeGreaterThan(0)
    for (const m of numbers) {
      const plain = openIdentityNumber(keyring, m.id, m.sealed)
      for (const body of answered) expect(body).not.toContain(plain)
    }
  })
})

describe('PII keyring (src/shared/pii.ts)', () => {
  const key = parsePiiKey(newPiiKey())

  it('takes 32 bytes as base64, base64url or hex, and nothing else', () => {
    const raw = Buffer.alloc(32, 7)
    expect(parsePiiKey(raw.toString('base64'))).toEqual(raw)
    expect(parsePiiKey(raw.toString('base64url'))).toEqual(raw)
    expect(parsePiiKey(raw.toString('hex'))).toEqual(raw)
    for (const bad of ['', 'abc', Buffer.alloc(16).toString('base64'), 'z'.repeat(64)]) {
      expect(() => parsePiiKey(bad)).toThrow(/32 bytes/)
    }
  })

  it('a wrong key, another context or an altered byte does not open (GCM authentication)', () => {
    const ring = piiKeyring([key])
    const sealed = ring.seal('11010519491231002X', 'ctx')
    expect(ring.open(sealed, 'ctx')).toBe('11010519491231002X')
    expect(sealed).not.toContain('11010519491231002X')
    expect(ring.seal('11010519491231002X', 'ctx')).not.toBe(sealed) // a fresh IV each time
    expect(() => ring.open(sealed, 'other')).toThrow(/does not open/)
    // Another key under the same key id cannot happen; a different key is not configured at all.
    const other = piiKeyring([parsePiiKey(newPiiKey())])
    expect(() => other.open(sealed, 'ctx')).toThrow(/not configured/)
    // The wrong key presented under the sealing key's id still fails the tag.
    const [v, id, packed] = sealed.split('.')
    const forged = other.seal('x', 'ctx').split('.')
    expect(() => other.open(`${forged[0]}.${forged[1]}.${packed}`, 'ctx')).toThrow(/does not open/)
    const bytes = Buffer.from(packed!, 'base64url')
    bytes[bytes.length - 1]! ^= 1
    expect(() => ring.open(`${v}.${id}.${bytes.toString('base64url')}`, 'ctx')).toThrow(/does not open/)
  })

  it('opens values of an older key listed after the current one; hashes follow the current key', () => {
    const old = piiKeyring([key])
    const sealed = old.seal('E12345678', 'ctx')
    const next = parsePiiKey(newPiiKey())
    const rotated = piiKeyring([next, key])
    expect(rotated.open(sealed, 'ctx')).toBe('E12345678')
    expect(rotated.seal('E12345678', 'ctx').split('.')[1]).not.toBe(sealed.split('.')[1])
    expect(old.hash('E12345678', 'p')).toBe(piiKeyring([key]).hash('E12345678', 'p'))
    expect(old.hash('E12345678', 'p')).not.toBe(old.hash('E12345678', 'q'))
  })
})

describe('PII_KEY in the configuration', () => {
  it('embedded mode generates the key once into DATA_DIR/pii-key (0600) and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-pii-'))
    const first = loadConfig({ DATA_DIR: dir }).piiKeys
    expect(first).toHaveLength(1)
    expect(first[0]).toHaveLength(32)
    expect(statSync(join(dir, 'pii-key')).mode & 0o777).toBe(0o600)
    expect(loadConfig({ DATA_DIR: dir }).piiKeys).toEqual(first)
  })

  it('takes several keys, the first sealing; a bad one is named in one line', () => {
    const [a, b] = [newPiiKey(), newPiiKey()]
    const base = { DATABASE_URL: 'postgres://h/db', JWT_SECRET: 's'.repeat(32) }
    expect(loadConfig({ ...base, PII_KEY: `${a},${b}` }).piiKeys).toEqual([parsePiiKey(a), parsePiiKey(b)])
    expect(() => loadConfig({ ...base, PII_KEY: `${a},short` })).toThrow(
      /^invalid environment variable PII_KEY: key 2 must be 32 bytes/,
    )
    expect(() => loadConfig(base)).toThrow(/PII_KEY: required/)
  })
})
