import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { activeRubric, claim, panel, scoreOk, yearEnd, yearStart } from '../helpers/scoring'

/**
 * Security issue 15, low: `publicityDays: 0` on a round made results final at close with no objection window.
 * 公示 is how the seed keeps scores fair, so a unit setting `minPublicityDays` (inherited, default 1) is the
 * floor; a round asking for less is 400, and only an admin or staff above a unit sets its floor.
 */
let t: TestApp
let w: World
let rubricId: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  rubricId = await activeRubric(t, w)
})

async function roundAsking(publicityDays: number | undefined) {
  const panelUserIds = await panel(t.db, w)
  const c = await claim(t, w.memberA.userId, {
    memberId: w.memberA.memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 2,
  })
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/scoring-rounds',
    as: w.secretaryA,
    payload: {
      orgUnitId: w.branchA,
      rubricId,
      periodStart: yearStart(),
      periodEnd: yearEnd(),
      panelUserIds,
      quorum: 1,
      ...(publicityDays === undefined ? {} : { publicityDays }),
    },
  })
  return { res, claimId: c.id, panelUserIds }
}

const patchUnit = (as: string, id: string, settings: object) =>
  t.call({ method: 'PATCH', url: `/api/v1/org-units/${id}`, as, payload: { settings } })

describe('the 公示 floor', () => {
  it('a round asking for 0 days is 400 under the default floor of one day, and nothing is created', async () => {
    const before = await one<{ n: string }>(t.db, sql`select count(*) as n from scoring_rounds`)
    const { res } = await roundAsking(0)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    expect(res.json().errors[0].field).toBe('publicityDays')
    const after = await one<{ n: string }>(t.db, sql`select count(*) as n from scoring_rounds`)
    expect(after?.n).toBe(before?.n)
  })

  it('a branch secretary cannot lower their own floor (403); the district above can, then a 0-day round opens', async () => {
    expect((await patchUnit(w.secretaryA, w.branchA, { minPublicityDays: 0 })).statusCode).toBe(403)
    const districtSecretary = await createUser(t.db, { grants: [['secretary', w.district]] })
    // Not their own unit either: the floor of the district is set from above it.
    expect((await patchUnit(districtSecretary, w.district, { minPublicityDays: 0 })).statusCode).toBe(403)
    const lowered = await patchUnit(districtSecretary, w.branchA, { minPublicityDays: 0 })
    expect(lowered.statusCode, lowered.body).toBe(200)
    expect(lowered.json().effectiveSettings.minPublicityDays).toBe(0)
    const { res, claimId, panelUserIds } = await roundAsking(0)
    expect(res.statusCode, res.body).toBe(201)
    // Raised again before close: the floor in force at close wins over the round's 0 days.
    expect((await patchUnit(districtSecretary, w.branchA, { minPublicityDays: 3 })).statusCode).toBe(200)
    // Every claim the round took in (the refused round of the first test left its claim waiting too).
    const claimIds = (res.json().claims as { claimId: string }[]).map((c) => c.claimId)
    expect(claimIds).toContain(claimId)
    for (const u of panelUserIds) for (const c of claimIds) await scoreOk(t, u, res.json().id, c, '1.00')
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${res.json().id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    const endsAt = new Date(closed.json().publicityEndsAt).getTime()
    expect(endsAt - Date.now()).toBeGreaterThan(2 * 24 * 3600 * 1000)
    await patchUnit(districtSecretary, w.branchA, { minPublicityDays: null })
  })

  it('a unit’s own publicityDays below the floor in force is 400', async () => {
    const res = await patchUnit(w.admin, w.communityA, { minPublicityDays: 3 })
    expect(res.statusCode).toBe(200)
    const below = await patchUnit(w.secretaryA, w.branchA, { publicityDays: 2 })
    expect(below.statusCode).toBe(400)
    expect(below.json().code).toBe('validation_failed')
    expect((await patchUnit(w.secretaryA, w.branchA, { publicityDays: 4 })).statusCode).toBe(200)
    await patchUnit(w.admin, w.communityA, { minPublicityDays: null })
  })

  it('the database holds the floor for every writer: a round asking for less, publicity opened shorter', async () => {
    const insert = sql`insert into scoring_rounds (org_unit_id, rubric_id, period_start, period_end, quorum,
                         aggregation, publicity_days, divergence_threshold, created_by)
                       values (${w.branchA}, ${rubricId}, ${'2026-01-01'}, ${'2026-12-31'}, 1, 'mean', 0, 100,
                               ${w.secretaryA})`
    expect(await refusal(t.db.execute(insert))).toMatchObject({
      code: '23514',
      constraint: 'scoring_rounds_publicity_floor_chk',
    })
    const { res } = await roundAsking(undefined)
    expect(res.statusCode, res.body).toBe(201)
    const closeTooSoon = sql`update scoring_rounds set status = 'publicity', closed_at = now(),
                               publicity_ends_at = now() + interval '1 hour' where id = ${res.json().id}`
    expect(await refusal(t.db.execute(closeTooSoon))).toMatchObject({
      code: '23514',
      constraint: 'scoring_rounds_publicity_floor_chk',
    })
  })
})
