import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, transaction } from '../../src/db/client'
import { localDate } from '../../src/shared/time'
import { createPastActivity, recordHours, verifiedActivity, verify } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award, postClaims } from '../helpers/ledger'
import { idemKey, redeem, stockedReward } from '../helpers/rewards'
import { activeRubric, today } from '../helpers/scoring'

/**
 * The breakdown reports on a small organisation with exact figures. Branch A holds team 先锋队 (张三, 甲)
 * and, in its grid, team 网格队 (乙); branch B (another secretary's) holds its own team and member.
 */

let t: TestApp
let w: World
const ids: Record<string, string> = {}
const YEAR = Number(today().slice(0, 4))
// The activities here start up to four hours before now: between 00:00 and 04:00 in Shanghai that is yesterday,
// so periods that must hold them start on the day five hours ago, whatever the hour the suite runs at.
const since = localDate(new Date(Date.now() - 5 * 3_600_000), 'Asia/Shanghai')

function get(as: string, url: string, headers: Record<string, string> = {}) {
  return t.call({ method: 'GET', url, as, headers })
}

async function ok(method: 'POST' | 'PUT', url: string, as: string, payload: Record<string, unknown>) {
  const res = await t.call({ method, url, as, payload, headers: { 'idempotency-key': idemKey() } })
  expect(res.statusCode, res.body).toBeLessThan(300)
  return res.json()
}

async function team(orgUnitId: string, name: string, members: string[], as = w.secretaryA) {
  const created = await ok('POST', '/api/v1/teams', as, { orgUnitId, name })
  for (const memberId of members) await ok('POST', `/api/v1/teams/${created.id}/members`, as, { memberId })
  return created.id as string
}

/** Every page of a report, following nextCursor, with the page size asked. */
async function allPages(as: string, url: string, limit: number) {
  const items: Record<string, unknown>[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await get(as, `${url}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(res.statusCode, res.body).toBe(200)
    items.push(...res.json().items)
    cursor = res.json().nextCursor
    pages++
  } while (cursor && pages < 50)
  return { items, pages }
}

function csvLines(body: string): string[] {
  expect(body.startsWith('\uFEFF')).toBe(true)
  expect(body.endsWith('\r\n')).toBe(true)
  expect(body.slice(1).replace(/\r\n/g, '')).not.toMatch(/\n/)
  return body.slice(1, -2).split('\r\n')
}

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  ids.a = w.memberA.memberId
  ids.b = await createMember(t.db, w.branchA, { name: '甲', phone: '13800000001' })
  ids.c = await createMember(t.db, w.gridA, { name: '乙' })
  ids.idle = await createMember(t.db, w.gridA, { name: '丁' })
  ids.teamA = await team(w.branchA, '先锋队', [ids.a, ids.b])
  ids.teamGrid = await team(w.gridA, '网格队', [ids.c])
  ids.teamEmpty = await team(w.branchA, '空队', [])
  ids.teamB = await team(w.branchB, '和谐队', [w.memberB.memberId], w.secretaryB)

  // Team A's activity: 张三 2.00 h, 甲 1.50 h, verified. The grid's activity: open, 乙 recorded 1.00 h.
  const act = await ok('POST', '/api/v1/activities', w.secretaryA, {
    orgUnitId: w.branchA,
    teamId: ids.teamA,
    title: '敬老院探访',
    startsAt: new Date(Date.now() - 4 * 3_600_000).toISOString(),
    endsAt: new Date(Date.now() - 1 * 3_600_000).toISOString(),
  })
  ids.act = act.id
  for (const [m, h] of [
    [ids.a, '2.00'],
    [ids.b, '1.50'],
  ]) {
    expect((await recordHours(t, w.secretaryA, act.id, m!, h)).statusCode).toBe(201)
  }
  expect((await verify(t, w.secretaryA, act.id)).statusCode).toBe(200)
  ids.openAct = await createPastActivity(t, w.secretaryA, w.gridA, { title: '网格巡查' })
  expect((await recordHours(t, w.secretaryA, ids.openAct, ids.c!, '1.00')).statusCode).toBe(201)
  await verifiedActivity(t, w.secretaryB, w.branchB, [[w.memberB.memberId, '3.00']])

  // Points: a claim naming the activity posts 12.00 to 张三, later reversed; another posts 7.50 to 甲.
  const rubricId = await activeRubric(t, w)
  const item = await one<{ code: string }>(
    t.db,
    sql`select code from rubric_items where rubric_id = ${rubricId} and kind = 'award' order by position limit 1`,
  )
  const claimA = await ok('POST', '/api/v1/claims', w.secretaryA, {
    memberId: ids.a,
    rubricId,
    itemCode: item!.code,
    occurredOn: today(),
    quantity: 1,
    description: '探访',
    evidence: { activityIds: [ids.act] },
  })
  const claimB = await ok('POST', '/api/v1/claims', w.secretaryA, {
    memberId: ids.b,
    rubricId,
    itemCode: item!.code,
    occurredOn: today(),
    quantity: 1,
    description: '探访',
    evidence: { activityIds: [ids.act] },
  })
  const posted = await postClaims(t.db, [
    { memberId: ids.a!, claimId: claimA.id, amountCents: 1_200, memo: '探访', effectiveDate: today() },
    { memberId: ids.b!, claimId: claimB.id, amountCents: 750, memo: '探访', effectiveDate: today() },
  ])
  const postA = posted.get(claimA.id)!
  await ok('POST', `/api/v1/ledger/transactions/${postA.transactionId}/reverse`, w.secretaryA, {
    reason: '证据不足',
  })
  // Team members' other points: 张三 +20, 甲 -3 (deduction), 乙 +5 by adjustment; outside: B +99.
  await award(t.db, ids.a, 2_000)
  await award(t.db, ids.b, -300)
  await ok('POST', '/api/v1/ledger/adjustments', w.secretaryA, {
    memberId: ids.c,
    amount: '5.00',
    reason: '补记',
  })
  await award(t.db, w.memberB.memberId, 9_900)

  // Rewards: 毛巾 (2 fulfilled: 2 + 1 units at 3.00), 水杯 (1 cancelled), 雨伞 (never), B's office: 1 fulfilled.
  const towel = await stockedReward(t, w.clerkA, w.communityA, {
    name: '毛巾',
    pointsCost: '3.00',
    stock: 10,
  })
  const cup = await stockedReward(t, w.clerkA, w.communityA, { name: '水杯', pointsCost: '4.00', stock: 10 })
  ids.umbrella = (await stockedReward(t, w.clerkA, w.communityA, { name: '雨伞', pointsCost: '9.00' })).id
  const other = await stockedReward(t, w.clerkB, w.communityB, { name: '肥皂', pointsCost: '1.00', stock: 5 })
  ids.towel = towel.id
  ids.cup = cup.id
  for (const [clerk, memberId, rewardId, quantity, settle] of [
    [w.clerkA, ids.a, towel.id, 2, 'fulfil'],
    [w.clerkA, ids.b, towel.id, 1, 'fulfil'],
    [w.clerkA, ids.a, cup.id, 1, 'cancel'],
    [w.clerkB, w.memberB.memberId, other.id, 1, 'fulfil'],
  ] as const) {
    const r = await redeem(t, clerk, { memberId, rewardId, quantity })
    expect(r.statusCode, r.body).toBe(201)
    const s = await t.call({ method: 'POST', url: `/api/v1/redemptions/${r.json().id}/${settle}`, as: clerk })
    expect(s.statusCode, s.body).toBe(200)
  }
})

describe('getHoursPointsByTeam', () => {
  const url = () => `/api/v1/reports/by-team?orgUnitId=${w.branchA}&from=${YEAR}-01-01&to=${YEAR}-12-31`

  it("gives each team of the subtree its members, activities, verified hours and its members' net points", async () => {
    const res = await get(w.secretaryA, url())
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      items: [
        // 先锋队: 张三 12.00 - 12.00 (reversed) + 20.00, 甲 7.50 - 3.00.
        {
          teamId: ids.teamA,
          name: '先锋队',
          orgUnitId: w.branchA,
          members: 2,
          activities: 1,
          hours: '3.50',
          points: '24.50',
        },
        {
          teamId: ids.teamEmpty,
          name: '空队',
          orgUnitId: w.branchA,
          members: 0,
          activities: 0,
          hours: '0.00',
          points: '0.00',
        },
        {
          teamId: ids.teamGrid,
          name: '网格队',
          orgUnitId: w.gridA,
          members: 1,
          activities: 0,
          hours: '0.00',
          points: '5.00',
        },
      ],
      nextCursor: null,
    })
  })

  it('pages with a cursor: one team a page, each once', async () => {
    const { items, pages } = await allPages(w.secretaryA, url(), 1)
    expect(pages).toBe(3)
    expect(items.map((i) => i.name)).toEqual(['先锋队', '空队', '网格队'])
  })

  it('a period with nothing in it keeps the teams with zeros', async () => {
    const res = await get(
      w.secretaryA,
      `/api/v1/reports/by-team?orgUnitId=${w.branchA}&from=2020-01-01&to=2020-12-31`,
    )
    expect(res.json().items.map((i: { points: string; hours: string }) => [i.hours, i.points])).toEqual([
      ['0.00', '0.00'],
      ['0.00', '0.00'],
      ['0.00', '0.00'],
    ])
  })

  it('CSV: BOM, header, CRLF, every team', async () => {
    const res = await get(w.secretaryA, `${url()}&limit=1`, { accept: 'text/csv' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    const lines = csvLines(res.body)
    expect(lines[0]).toBe(
      '服务队 team,队员 members,活动数 activities,服务时长 hours,积分 points,teamId,orgUnitId',
    )
    expect(lines[1]).toBe(`先锋队,2,1,3.50,24.50,${ids.teamA},${w.branchA}`)
    expect(lines).toHaveLength(4)
  })
})

describe('getHoursPointsByActivity', () => {
  it('lists activities held in the subtree with verified hours and the net points of claims naming them', async () => {
    const res = await get(
      w.secretaryA,
      `/api/v1/reports/by-activity?orgUnitId=${w.branchA}&from=${since}&to=${today()}`,
    )
    expect(res.statusCode, res.body).toBe(200)
    const byId = new Map(res.json().items.map((i: { activityId: string }) => [i.activityId, i]))
    expect(res.json().items).toHaveLength(2)
    // 12.00 to 张三 reversed, 7.50 to 甲 stands.
    expect(byId.get(ids.act)).toMatchObject({
      title: '敬老院探访',
      teamId: ids.teamA,
      status: 'verified',
      participants: 2,
      hours: '3.50',
      points: '7.50',
    })
    expect(byId.get(ids.act)).toMatchObject({ startsAt: expect.stringMatching(/\+08:00$/) })
    // Open: its recorded hour is not verified yet.
    expect(byId.get(ids.openAct)).toMatchObject({
      status: 'open',
      participants: 1,
      hours: '0.00',
      points: '0.00',
      teamId: null,
    })
  })

  it('pages in order of start; CSV has every row', async () => {
    const { items, pages } = await allPages(
      w.secretaryA,
      `/api/v1/reports/by-activity?orgUnitId=${w.branchA}`,
      1,
    )
    expect(pages).toBe(2)
    expect(new Set(items.map((i) => i.activityId))).toEqual(new Set([ids.act, ids.openAct]))
    const csv = await get(w.secretaryA, `/api/v1/reports/by-activity?orgUnitId=${w.branchA}`, {
      accept: 'text/csv',
    })
    const lines = csvLines(csv.body)
    expect(lines[0]).toBe(
      '开始时间 startsAt,活动 title,状态 status,参与人数 participants,服务时长 hours,积分 points,activityId,teamId,orgUnitId',
    )
    expect(lines).toHaveLength(3)
  })

  it('an activity starting 23:30 on 31 March local belongs to March; 00:30 on 1 April to April', async () => {
    const march = await createPastActivity(t, w.secretaryA, w.gridA, {
      startsAt: '2025-03-31T15:30:00Z',
      hours: 1,
    })
    const april = await createPastActivity(t, w.secretaryA, w.gridA, {
      startsAt: '2025-03-31T16:30:00Z',
      hours: 1,
    })
    const inMarch = await get(
      w.secretaryA,
      `/api/v1/reports/by-activity?orgUnitId=${w.gridA}&from=2025-03-01&to=2025-03-31`,
    )
    expect(inMarch.json().items.map((i: { activityId: string }) => i.activityId)).toEqual([march])
    const inApril = await get(
      w.secretaryA,
      `/api/v1/reports/by-activity?orgUnitId=${w.gridA}&from=2025-04-01&to=2025-04-30`,
    )
    expect(inApril.json().items).toMatchObject([
      { activityId: april, startsAt: '2025-04-01T00:30:00.000+08:00' },
    ])
  })
})

describe('getRedemptionsByReward', () => {
  const url = () =>
    `/api/v1/reports/redemptions-by-reward?orgUnitId=${w.communityA}&from=${today()}&to=${today()}`

  it('every reward of the offices in the subtree, with fulfilled redemptions only', async () => {
    const res = await get(w.clerkA, url())
    expect(res.statusCode).toBe(403)
    const sec = await get(w.admin, url())
    expect(sec.statusCode, sec.body).toBe(200)
    expect(sec.json().items).toEqual([
      {
        rewardId: ids.towel,
        name: '毛巾',
        orgUnitId: w.communityA,
        pointsCost: '3.00',
        redemptions: 2,
        quantity: 3,
        points: '9.00',
      },
      {
        rewardId: ids.cup,
        name: '水杯',
        orgUnitId: w.communityA,
        pointsCost: '4.00',
        redemptions: 0,
        quantity: 0,
        points: '0.00',
      },
      {
        rewardId: ids.umbrella,
        name: '雨伞',
        orgUnitId: w.communityA,
        pointsCost: '9.00',
        redemptions: 0,
        quantity: 0,
        points: '0.00',
      },
    ])
  })

  it('pages and exports', async () => {
    const { items, pages } = await allPages(w.admin, url(), 2)
    expect(pages).toBe(2)
    expect(items.map((i) => i.name)).toEqual(['毛巾', '水杯', '雨伞'])
    const csv = await get(w.admin, url(), { accept: 'text/csv' })
    const lines = csvLines(csv.body)
    expect(lines[0]).toBe(
      '商品 reward,所需积分 pointsCost,兑换次数 redemptions,数量 quantity,兑换积分 points,rewardId,orgUnitId',
    )
    expect(lines[1]).toBe(`毛巾,3.00,2,3,9.00,${ids.towel},${w.communityA}`)
  })

  it('a secretary of a branch below the office does not see the office: 404', async () => {
    const res = await get(w.secretaryA, url())
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('not_found')
  })
})

describe('listInactiveMembers', () => {
  it('lists active members of the subtree with no verified hours and no points in the year', async () => {
    const res = await get(
      w.secretaryA,
      `/api/v1/reports/inactive-members?orgUnitId=${w.branchA}&year=${YEAR}`,
    )
    expect(res.statusCode, res.body).toBe(200)
    // 张三 and 甲 served and earned; 乙 only has unverified hours but got an adjustment; 丁 did nothing.
    expect(res.json()).toEqual({
      items: [
        { memberId: ids.idle, name: '丁', orgUnitId: w.gridA, orgUnitName: expect.any(String), phone: null },
      ],
      nextCursor: null,
    })
  })

  it('a year with nothing lists everyone, paged by name; CSV too', async () => {
    const { items, pages } = await allPages(
      w.secretaryA,
      `/api/v1/reports/inactive-members?orgUnitId=${w.branchA}&year=2020`,
      2,
    )
    expect(pages).toBe(2)
    expect(items.map((i) => i.memberId).sort()).toEqual([ids.a, ids.b, ids.c, ids.idle].sort())
    const csv = await get(w.secretaryA, `/api/v1/reports/inactive-members?orgUnitId=${w.branchA}&year=2020`, {
      accept: 'text/csv',
    })
    const lines = csvLines(csv.body)
    expect(lines[0]).toBe('姓名 name,所在组织 orgUnit,电话 phone,memberId,orgUnitId')
    expect(lines).toHaveLength(5)
    expect(lines.some((l) => l.startsWith('甲,') && l.includes(',13800000001,'))).toBe(true)
  })
})

describe('getMonthlyTotals', () => {
  it('twelve months, zeros included, figures in the month they happened', async () => {
    // Each month's figures are the summary of exactly that month. The points and redemptions of this file happen
    // now; its activities start a few hours ago, which before dawn on the 1st is last month (not asserted then).
    const year = today().slice(0, 4)
    const res = await get(w.secretaryA, `/api/v1/reports/monthly?orgUnitId=${w.branchA}&year=${year}`)
    expect(res.statusCode, res.body).toBe(200)
    const items = res.json().items as { month: string }[]
    expect(items.map((i) => i.month)).toEqual(
      Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`),
    )
    for (const item of items) {
      const [y, m] = item.month.split('-').map(Number) as [number, number]
      const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate()
      const month = await get(
        w.secretaryA,
        `/api/v1/reports/summary?orgUnitId=${w.branchA}&from=${item.month}-01&to=${item.month}-${lastDay}`,
      )
      expect(item, item.month).toEqual({ month: item.month, ...month.json() })
    }
    const now = today().slice(0, 7)
    expect(items.find((i) => i.month === now)).toMatchObject({
      pointsIssued: '44.50',
      pointsDeducted: '15.00',
      redemptions: 2,
      pointsRedeemed: '9.00',
    })
    const activityMonth = since.slice(0, 7)
    for (const m of items.filter((i) => i.month !== now)) {
      expect(m).toMatchObject({ pointsIssued: '0.00', redemptions: 0 })
      if (m.month !== activityMonth) expect(m).toMatchObject({ activities: 0 })
    }
  })

  it('a posting at 16:30Z on 31 January is February in Shanghai; pages of 5 cover the year once', async () => {
    const m = await createMember(t.db, w.gridA, { name: '月末' })
    const late = await award(t.db, m, 1_000)
    const early = await award(t.db, m, 300)
    await transaction(t.db, async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`)
      await tx.execute(
        sql`update ledger_transactions set created_at = '2025-01-31T16:30:00Z' where id = ${late}::uuid`,
      )
      await tx.execute(
        sql`update ledger_transactions set created_at = '2025-01-31T15:59:59Z' where id = ${early}::uuid`,
      )
    })
    await t.db.execute(sql`select report_rollups_rebuild()`)
    const { items, pages } = await allPages(
      w.secretaryA,
      `/api/v1/reports/monthly?orgUnitId=${w.gridA}&year=2025`,
      5,
    )
    expect(pages).toBe(3)
    expect(items).toHaveLength(12)
    expect(items[0]).toMatchObject({ month: '2025-01', pointsIssued: '3.00' })
    expect(items[1]).toMatchObject({ month: '2025-02', pointsIssued: '10.00' })
    // The summary reads whole months from the rollups, a part month from the ledger: same answers.
    const jan31 = await get(
      w.secretaryA,
      `/api/v1/reports/summary?orgUnitId=${w.gridA}&from=2025-01-31&to=2025-01-31`,
    )
    expect(jan31.json()).toMatchObject({ pointsIssued: '3.00' })
    const feb1 = await get(
      w.secretaryA,
      `/api/v1/reports/summary?orgUnitId=${w.gridA}&from=2025-01-15&to=2025-02-01`,
    )
    expect(feb1.json()).toMatchObject({ pointsIssued: '13.00' })
    const csv = await get(w.secretaryA, `/api/v1/reports/monthly?orgUnitId=${w.gridA}&year=2025`, {
      accept: 'text/csv',
    })
    const lines = csvLines(csv.body)
    expect(lines).toHaveLength(13)
    expect(lines[0]).toMatch(/^月份 month,活动数 activities,/)
    expect(lines[2]).toBe('2025-02,0,0,0.00,0,10.00,0.00,0.00,0')
  })
})

describe('getSummary as CSV', () => {
  it('one row with a header, BOM and CRLF', async () => {
    const res = await get(
      w.secretaryA,
      `/api/v1/reports/summary?orgUnitId=${w.gridA}&from=2025-02-01&to=2025-02-28`,
      {
        accept: 'text/csv',
      },
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-disposition']).toContain('summary-2025-02-01-2025-02-28.csv')
    expect(csvLines(res.body)).toEqual([
      '活动数 activities,志愿者 volunteers,服务时长 serviceHours,完成服务单 serviceRequestsCompleted,发放积分 pointsIssued,扣减积分 pointsDeducted,兑换积分 pointsRedeemed,兑换次数 redemptions',
      '0,0,0.00,0,10.00,0.00,0.00,0',
    ])
  })
})

describe('scope', () => {
  it.each(['by-team', 'by-activity', 'redemptions-by-reward'])(
    '%s: 404 for a unit outside the caller subtree, 403 for a member, 400 for to before from',
    async (path) => {
      const outside = await get(w.secretaryB, `/api/v1/reports/${path}?orgUnitId=${w.branchA}`)
      expect(outside.statusCode).toBe(404)
      expect(outside.json().code).toBe('not_found')
      const member = await get(w.memberA.userId, `/api/v1/reports/${path}?orgUnitId=${w.branchA}`)
      expect(member.statusCode).toBe(403)
      const backwards = await get(
        w.secretaryA,
        `/api/v1/reports/${path}?orgUnitId=${w.branchA}&from=2026-02-01&to=2026-01-01`,
      )
      expect(backwards.statusCode).toBe(400)
    },
  )

  it.each(['monthly', 'inactive-members'])(
    '%s: 404 outside the subtree, 400 for a bad cursor',
    async (path) => {
      const outside = await get(w.secretaryB, `/api/v1/reports/${path}?orgUnitId=${w.branchA}&year=${YEAR}`)
      expect(outside.statusCode).toBe(404)
      const bad = await get(
        w.secretaryA,
        `/api/v1/reports/${path}?orgUnitId=${w.branchA}&year=${YEAR}&cursor=bm9wZQ`,
      )
      expect(bad.statusCode).toBe(400)
    },
  )

  it("a sub-unit sees only what lies in it: branch B's team and reward never show in branch A", async () => {
    const teams = await get(w.admin, `/api/v1/reports/by-team?orgUnitId=${w.street}`)
    expect(teams.json().items.map((i: { name: string }) => i.name)).toContain('和谐队')
    const mine = await get(w.secretaryA, `/api/v1/reports/by-team?orgUnitId=${w.branchA}`)
    expect(mine.json().items.map((i: { name: string }) => i.name)).not.toContain('和谐队')
  })
})
