import { expect } from 'vitest'
import type { TestApp } from './app'
import type { World } from './factories'
import { thisYear } from './scoring'

/**
 * An active rubric of branch A made through the API with two small items the cap tests reason about:
 * CARE, an award of 2.00 an occurrence, at most 4.00 a claim and 6.00 a year; ABSENCE, a deduction of 2.00
 * an occurrence, at most 2.00 a claim and `absenceCapPerYear` a year (100.00 unless said).
 */
export async function cappedRubric(
  t: TestApp,
  w: World,
  opts: { name?: string; absenceCapPerYear?: string } = {},
): Promise<string> {
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/rubrics',
    as: w.secretaryA,
    payload: {
      orgUnitId: w.branchA,
      year: thisYear(),
      name: opts.name ?? 'caps',
      items: [
        {
          code: 'CARE',
          name: '帮扶',
          kind: 'award',
          unit: 'occurrence',
          pointsPerUnit: '2.00',
          maxPerClaim: '4.00',
          capPerYear: '6.00',
        },
        {
          code: 'ABSENCE',
          name: '缺席',
          kind: 'deduction',
          unit: 'occurrence',
          pointsPerUnit: '2.00',
          maxPerClaim: '2.00',
          capPerYear: opts.absenceCapPerYear ?? '100.00',
        },
      ],
    },
  })
  expect(created.statusCode, created.body).toBe(201)
  const rubricId = created.json().id as string
  const activated = await t.call({
    method: 'POST',
    url: `/api/v1/rubrics/${rubricId}/activate`,
    as: w.secretaryA,
  })
  expect(activated.statusCode, activated.body).toBe(200)
  return rubricId
}
