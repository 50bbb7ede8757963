import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUnit, createUser, createWorld, uniq, type World } from '../helpers/factories'
import { givePoints } from '../helpers/rewards'

// findMembersAtCounter: the clerk at the redemption counter finds a member by name, phone or member code, among
// the members createRedemption lets them serve there, with minimal fields (no phone, no identity document).

let t: TestApp
let w: World
let surname: string
/** Members of community A's branch; one registered (双报到) with community A from community B. */
let zhang: string
let zhangMin: string
let registered: string
let pending: string

beforeAll(async () => {
  t = await buildTestApp({ loginRateLimit: 2 })
  w = await createWorld(t.db)
  surname = uniq('柯').slice(0, 8)
  zhang = await createMember(t.db, w.branchA, { name: `${surname}伟`, phone: '13812345678' })
  zhangMin = await createMember(t.db, w.gridA, { name: `${surname}敏`, phone: '139 0000 5678' })
  registered = await createMember(t.db, w.branchB, { name: `${surname}强`, phone: '13700001111' })
  pending = await createMember(t.db, w.branchB, { name: `${surname}平`, phone: '13700002222' })
  await t.db.execute(
    sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
        values (${registered}, ${w.communityA}, 'accepted', now())`,
  )
  await t.db.execute(
    sql`insert into member_registrations (member_id, org_unit_id, status)
        values (${pending}, ${w.communityA}, 'pending')`,
  )
  await givePoints(t.db, zhang, 2675)
  await t.db.execute(sql`update members set identity_type = 'resident_id', identity_sealed = 'pii1.k.sealed',
        identity_hash = 'hash', identity_masked = '1101**********1234' where id = ${zhang}`)
})

afterAll(async () => {
  await t.app.close()
})

const find = (as: string, q: string, orgUnitId = w.communityA) =>
  t.call({
    method: 'GET',
    url: `/api/v1/counter/members?orgUnitId=${orgUnitId}&q=${encodeURIComponent(q)}`,
    as,
  })

describe('GET /api/v1/counter/members (findMembersAtCounter)', () => {
  it('a clerk finds by name: home and 双报到 members of the community, never a pending registration', async () => {
    const res = await find(w.clerkA, surname)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.more).toBe(false)
    expect(body.items.map((m: { id: string }) => m.id).sort()).toEqual([zhang, zhangMin, registered].sort())
    const row = body.items.find((m: { id: string }) => m.id === zhang)
    expect(row).toEqual({
      id: zhang,
      name: `${surname}伟`,
      maskedPhone: '138****5678',
      homeUnitName: expect.any(String),
      availablePoints: '26.75',
    })
    // Nothing of the full phone or an identity number anywhere in the answer.
    expect(res.body).not.toContain('13812345678')
    expect(res.body).not.toContain('1101')
    expect(res.body).not.toMatch(/identity/i)
  })

  it('by the last 4 digits of the phone, by the whole phone, by the member code', async () => {
    const last4 = (await find(w.clerkA, '5678')).json().items.map((m: { id: string }) => m.id)
    expect(last4).toEqual(expect.arrayContaining([zhang, zhangMin]))
    expect(last4).not.toContain(registered)
    const whole = await find(w.clerkA, '13812345678')
    expect(whole.json().items.map((m: { id: string }) => m.id)).toEqual([zhang])
    expect(whole.body).not.toContain('13812345678')
    const spaced = await find(w.clerkA, '13900005678')
    expect(spaced.json().items.map((m: { id: string }) => m.id)).toEqual([zhangMin])
    const code = await find(w.clerkA, zhang)
    expect(code.json().items.map((m: { id: string }) => m.id)).toEqual([zhang])
  })

  it('a clerk of another community finds nothing of ours: 404 for our community, empty at their own', async () => {
    expect((await find(w.clerkB, surname)).statusCode).toBe(404)
    const own = await find(w.clerkB, surname, w.communityB)
    expect(own.statusCode, own.body).toBe(200)
    // Community B's own members (home there) are theirs; ours and those registered with us only, not.
    const ids = own.json().items.map((m: { id: string }) => m.id)
    expect(ids).not.toContain(zhang)
    expect(ids).not.toContain(zhangMin)
    expect(ids.sort()).toEqual([registered, pending].sort())
    expect((await find(w.clerkB, '5678', w.communityB)).json().items).toEqual([])
  })

  it('is not the roster: secretaries, grid workers, members 403; at most 20 rows with `more`', async () => {
    for (const as of [w.secretaryA, w.gridWorkerA, w.panelistA, w.memberA.userId]) {
      expect((await find(as, surname)).statusCode).toBe(403)
    }
    const many = uniq('众')
    const unit = await createUnit(t.db, w.communityA, 'branch')
    for (let i = 0; i < 21; i++) await createMember(t.db, unit, { name: `${many}${i}` })
    const res = await find(w.clerkA, many)
    expect(res.json().items).toHaveLength(20)
    expect(res.json().more).toBe(true)
  })

  it('a per-caller budget: past it 429 rate_limited with Retry-After, another clerk unaffected', async () => {
    const clerk = await createUser(t.db, { grants: [['clerk', w.communityA]] })
    // loginRateLimit 2 here: 12 lookups a minute.
    for (let i = 0; i < 12; i++) expect((await find(clerk, surname)).statusCode).toBe(200)
    const over = await find(clerk, surname)
    expect(over.statusCode).toBe(429)
    expect(over.json().code).toBe('rate_limited')
    expect(over.headers['retry-after']).toBeDefined()
    const other = await createUser(t.db, { grants: [['clerk', w.communityA]] })
    expect((await find(other, surname)).statusCode).toBe(200)
  })
})
