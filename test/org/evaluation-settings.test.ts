import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_VOLUNTEER_STARS, effectiveSettings, gradeFor, volunteerStarFor } from '../../src/modules/org'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUnit, createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const patch = (unit: string, settings: unknown, as = w.admin) =>
  t.call({ method: 'PATCH', url: `/api/v1/org-units/${unit}`, as, payload: { settings } })

describe('评优 settings on units (grades, stars, standings, certificate, objection notice)', () => {
  it('defaults: no grades, the five volunteer stars, standings visible, nothing printed', async () => {
    const unit = await createUnit(t.db, w.street, 'community')
    const res = await t.call({ method: 'GET', url: `/api/v1/org-units/${unit}`, as: w.clerkA })
    expect(res.json().effectiveSettings).toMatchObject({
      grades: [],
      volunteerStars: [
        { name: '一星', minHours: '100.00' },
        { name: '二星', minHours: '300.00' },
        { name: '三星', minHours: '600.00' },
        { name: '四星', minHours: '1000.00' },
        { name: '五星', minHours: '1500.00' },
      ],
      standingsVisibleToMembers: true,
      certificate: { personInCharge: null, contactPhone: null, sealText: null },
      objectionNotice: null,
    })
    expect(res.json().settings).toMatchObject({
      grades: null,
      volunteerStars: null,
      standingsVisibleToMembers: null,
    })
  })

  it('each setting inherits from the nearest unit up that sets it, the certificate fields one by one', async () => {
    const district = await createUnit(t.db, w.root, 'district')
    const street = await createUnit(t.db, district, 'street')
    const branch = await createUnit(t.db, street, 'branch')
    const grades = [
      { name: '五星', minPoints: '90' },
      { name: '四星', minPoints: 75 },
      { name: '三星', minPoints: '60.5' },
    ]
    expect(
      (
        await patch(district, {
          grades,
          certificate: { personInCharge: '王建华', contactPhone: '0311-86001234' },
          objectionNotice: '公示期间如有异议请联系街道党工委',
        })
      ).statusCode,
    ).toBe(200)
    expect(
      (await patch(street, { standingsVisibleToMembers: false, certificate: { sealText: '和平街道党工委' } }))
        .statusCode,
    ).toBe(200)
    const eff = await effectiveSettings(t.db, branch)
    expect(eff.grades).toEqual([
      { name: '五星', minPointsCents: 9000 },
      { name: '四星', minPointsCents: 7500 },
      { name: '三星', minPointsCents: 6050 },
    ])
    expect(eff.standingsVisibleToMembers).toBe(false)
    expect(eff.certificate).toEqual({
      personInCharge: '王建华',
      contactPhone: '0311-86001234',
      sealText: '和平街道党工委',
    })
    expect(eff.objectionNotice).toBe('公示期间如有异议请联系街道党工委')

    // The branch sets no grades at all ([]), and shows it; null inherits again.
    const none = await patch(branch, { grades: [] })
    expect(none.json().effectiveSettings.grades).toEqual([])
    const again = await patch(branch, { grades: null, volunteerStars: [{ name: '铜牌', minHours: 10 }] })
    expect(again.json().effectiveSettings.grades).toEqual([
      { name: '五星', minPoints: '90.00' },
      { name: '四星', minPoints: '75.00' },
      { name: '三星', minPoints: '60.50' },
    ])
    expect(again.json().effectiveSettings.volunteerStars).toEqual([{ name: '铜牌', minHours: '10.00' }])
  })

  it('refuses grades with a repeated name or thresholds not strictly descending, and such stars ascending', async () => {
    const cases: [unknown, string][] = [
      [
        {
          grades: [
            { name: '优', minPoints: 90 },
            { name: ' 优', minPoints: 80 },
          ],
        },
        'settings.grades.1.name',
      ],
      [
        {
          grades: [
            { name: '优', minPoints: 80 },
            { name: '良', minPoints: 80 },
          ],
        },
        'settings.grades.1.minPoints',
      ],
      [
        {
          grades: [
            { name: '良', minPoints: 70 },
            { name: '优', minPoints: 90 },
          ],
        },
        'settings.grades.1.minPoints',
      ],
      [{ grades: [{ name: '优', minPoints: '9.999' }] }, 'settings.grades.0.minPoints'],
      [
        {
          volunteerStars: [
            { name: '一星', minHours: 300 },
            { name: '二星', minHours: 100 },
          ],
        },
        'settings.volunteerStars.1.minHours',
      ],
      [{ volunteerStars: [{ name: '一星', minHours: -1 }] }, 'settings.volunteerStars.0.minHours'],
    ]
    for (const [settings, field] of cases) {
      const res = await patch(w.branchA, settings, w.secretaryA)
      expect(res.statusCode, JSON.stringify(settings)).toBe(400)
      expect(JSON.stringify(res.json())).toContain(field)
    }
    const unit = await t.call({ method: 'GET', url: `/api/v1/org-units/${w.branchA}`, as: w.admin })
    expect(unit.json().settings.grades).toBeNull()
  })
})

describe('gradeFor and volunteerStarFor', () => {
  const grades = [
    { name: '五星', minPointsCents: 9000 },
    { name: '四星', minPointsCents: 7500 },
    { name: '三星', minPointsCents: 6000 },
  ]
  it('gives the grade reached and the gap to the next one up', () => {
    expect(gradeFor(9500, grades)).toEqual({ grade: '五星', nextGrade: null, pointsToNextGradeCents: null })
    expect(gradeFor(9000, grades)).toEqual({ grade: '五星', nextGrade: null, pointsToNextGradeCents: null })
    expect(gradeFor(8999, grades)).toEqual({ grade: '四星', nextGrade: '五星', pointsToNextGradeCents: 1 })
    expect(gradeFor(7500, grades)).toEqual({ grade: '四星', nextGrade: '五星', pointsToNextGradeCents: 1500 })
    expect(gradeFor(1250, grades)).toEqual({ grade: null, nextGrade: '三星', pointsToNextGradeCents: 4750 })
    expect(gradeFor(-300, grades)).toEqual({ grade: null, nextGrade: '三星', pointsToNextGradeCents: 6300 })
    expect(gradeFor(5000, [])).toEqual({ grade: null, nextGrade: null, pointsToNextGradeCents: null })
  })
  it('gives the highest star the hours reach', () => {
    expect(volunteerStarFor(9999, DEFAULT_VOLUNTEER_STARS)).toBeNull()
    expect(volunteerStarFor(10000, DEFAULT_VOLUNTEER_STARS)).toBe('一星')
    expect(volunteerStarFor(99999, DEFAULT_VOLUNTEER_STARS)).toBe('三星')
    expect(volunteerStarFor(150000, DEFAULT_VOLUNTEER_STARS)).toBe('五星')
    expect(volunteerStarFor(150000, [])).toBeNull()
  })
})
