import { beforeAll, describe, expect, it } from 'vitest'
import { verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createMemberUser, createUnit, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { thisYear } from '../helpers/scoring'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

const get = (as: string, url: string) => t.call({ method: 'GET', url, as })
const settings = (w: World, unit: string, s: unknown) =>
  t.call({ method: 'PATCH', url: `/api/v1/org-units/${unit}`, as: w.admin, payload: { settings: s } })

describe("亮积分: standings, grades and the member's own standing", () => {
  let w: World
  let other: { memberId: string; userId: string }
  let second: string
  beforeAll(async () => {
    w = await createWorld(t.db)
    const grades = [
      { name: '五星', minPoints: 90 },
      { name: '四星', minPoints: 75 },
      { name: '三星', minPoints: 60 },
    ]
    expect((await settings(w, w.communityA, { grades })).statusCode).toBe(200)
    await award(t.db, w.memberA.memberId, 8_000)
    second = await createMember(t.db, w.gridA, { name: '李四' })
    await award(t.db, second, 9_500)
    other = await createMemberUser(t.db, w.branchA)
    await award(t.db, other.memberId, 1_000)
    await verifiedActivity(t, w.secretaryA, w.branchA, [[w.memberA.memberId, '2.50']])
  })

  it('a member of the branch reads its standings with grades; the ranking shows them too', async () => {
    const res = await get(
      w.memberA.userId,
      `/api/v1/reports/standings?orgUnitId=${w.branchA}&year=${thisYear()}`,
    )
    expect(res.statusCode, res.body).toBe(200)
    const items = res.json().items
    expect(items.map((i: { memberId: string }) => i.memberId)).toEqual([
      second,
      w.memberA.memberId,
      other.memberId,
    ])
    expect(items[0]).toMatchObject({ rank: 1, name: '李四', points: '95.00', grade: '五星' })
    expect(items[1]).toMatchObject({ rank: 2, points: '80.00', hours: '2.50', grade: '四星' })
    expect(items[2]).toMatchObject({ rank: 3, points: '10.00', grade: null })
    // a member of a grid below reads the branch too (home unit in the subtree)
    const gridMember = await createMemberUser(t.db, w.gridA)
    expect(
      (await get(gridMember.userId, `/api/v1/reports/standings?orgUnitId=${w.branchA}&year=${thisYear()}`))
        .statusCode,
    ).toBe(200)
    const ranking = await get(
      w.secretaryA,
      `/api/v1/reports/ranking?orgUnitId=${w.branchA}&year=${thisYear()}`,
    )
    expect(ranking.json().items.map((i: { grade: string | null }) => i.grade)).toEqual([
      '五星',
      '四星',
      null,
      null,
    ])
  })

  it('a member of another branch gets 404, and so does a member asking for the community above', async () => {
    expect(
      (await get(w.memberB.userId, `/api/v1/reports/standings?orgUnitId=${w.branchA}&year=${thisYear()}`))
        .statusCode,
    ).toBe(404)
    expect(
      (await get(w.memberA.userId, `/api/v1/reports/standings?orgUnitId=${w.communityA}&year=${thisYear()}`))
        .statusCode,
    ).toBe(404)
    expect(
      (await get(w.memberA.userId, `/api/v1/reports/standings?orgUnitId=${w.branchB}&year=${thisYear()}`))
        .statusCode,
    ).toBe(404)
  })

  it('gives every row as CSV with the grade', async () => {
    const res = await get(
      w.memberA.userId,
      `/api/v1/reports/standings.csv?orgUnitId=${w.branchA}&year=${thisYear()}`,
    )
    expect(res.statusCode, res.body).toBe(200)
    const lines = res.body.slice(1).trim().split('\r\n')
    expect(lines[0]).toBe('排名 rank,姓名 name,积分 points,服务时长 hours,等次 grade,memberId')
    expect(lines[1]).toBe(`1,李四,95.00,0.00,五星,${second}`)
  })

  it("the member's standing: rank in the branch, grade, the gap to the next grade, the star", async () => {
    const res = await get(w.memberA.userId, `/api/v1/me/standing?year=${thisYear()}`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      memberId: w.memberA.memberId,
      orgUnitId: w.branchA,
      rank: 2,
      members: 4,
      points: '80.00',
      hours: '2.50',
      grade: '四星',
      nextGrade: '五星',
      pointsToNextGrade: '10.00',
      volunteerStar: null,
      volunteerHours: '2.50',
    })
    // a grid member's branch is the branch above their grid
    const low = await get(other.userId, `/api/v1/me/standing?year=${thisYear()}`)
    expect(low.json()).toMatchObject({ rank: 3, grade: null, nextGrade: '三星', pointsToNextGrade: '50.00' })
    expect((await get(w.secretaryA, `/api/v1/me/standing?year=${thisYear()}`)).statusCode).toBe(403)
  })

  it('standingsVisibleToMembers off: members get 403 and no rank; staff still read it', async () => {
    const branch = await createUnit(t.db, w.communityA, 'branch')
    const m = await createMemberUser(t.db, branch)
    expect((await settings(w, branch, { standingsVisibleToMembers: false })).statusCode).toBe(200)
    const url = `/api/v1/reports/standings?orgUnitId=${branch}&year=${thisYear()}`
    const refused = await get(m.userId, url)
    expect(refused.statusCode).toBe(403)
    expect((await get(m.userId, url.replace('standings?', 'standings.csv?'))).statusCode).toBe(403)
    expect((await get(w.admin, url)).statusCode).toBe(200)
    const mine = await get(m.userId, `/api/v1/me/standing?year=${thisYear()}`)
    expect(mine.json()).toMatchObject({ rank: null, orgUnitId: branch })
    expect((await settings(w, branch, { standingsVisibleToMembers: null })).statusCode).toBe(200)
    expect((await get(m.userId, url)).statusCode).toBe(200)
  })

  it('volunteer stars by cumulative verified hours on the balance, from the stars the unit inherits', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const balance = async () =>
      (await get(m.userId, `/api/v1/members/${m.memberId}/balance`)).json().volunteerStar
    expect(await balance()).toBeNull()
    await verifiedActivity(t, w.secretaryA, w.branchA, [[m.memberId, '2.00']])
    expect(await balance()).toBeNull() // default stars start at 100 h
    const stars = [
      { name: '铜星', minHours: 1 },
      { name: '银星', minHours: 3 },
    ]
    expect((await settings(w, w.branchA, { volunteerStars: stars })).statusCode).toBe(200)
    expect(await balance()).toBe('铜星')
    await verifiedActivity(t, w.secretaryA, w.branchA, [[m.memberId, '1.00']])
    expect(await balance()).toBe('银星')
    expect((await get(w.clerkA, `/api/v1/members/${m.memberId}/balance`)).json().volunteerStar).toBe('银星')
    expect((await settings(w, w.branchA, { volunteerStars: null })).statusCode).toBe(200)
  })
})
