import type { Cents } from '../../shared/decimal'
import { formatCents } from '../../shared/decimal'
import { validation } from '../../shared/errors'

/** A 等次 a member reaches with the year's net points: `minPointsCents` and up (hundredths). */
export interface Grade {
  name: string
  minPointsCents: Cents
}

/** A 志愿者星级 a member holds from `minHoursCents` of cumulative verified hours (hundredths). */
export interface VolunteerStar {
  name: string
  minHoursCents: Cents
}

/**
 * No grades unless a unit sets them: what a year's points are worth depends on the rubric a unit uses, so a
 * default scale (五星 >= 90 ...) would grade some branches on points their rubric never gives. Without grades
 * every answer's grade is null.
 */
export const DEFAULT_GRADES: readonly Grade[] = []

/** The levels volunteers know (全国志愿服务信息系统): 一星 100 h, 二星 300 h, 三星 600 h, 四星 1,000 h, 五星 1,500 h. */
export const DEFAULT_VOLUNTEER_STARS: readonly VolunteerStar[] = [
  { name: '一星', minHoursCents: 100_00 },
  { name: '二星', minHoursCents: 300_00 },
  { name: '三星', minHoursCents: 600_00 },
  { name: '四星', minHoursCents: 1000_00 },
  { name: '五星', minHoursCents: 1500_00 },
]

export const DEFAULT_STANDINGS_VISIBLE_TO_MEMBERS = true

/** Most grades or stars a unit may list. */
export const MAX_LEVELS = 10

function checkNames(levels: readonly { name: string }[], field: string) {
  const seen = new Set<string>()
  levels.forEach((l, i) => {
    const name = l.name.trim()
    if (seen.has(name))
      throw validation(`${field}.${i}.name`, `"${name}" is named twice; names must be unique`)
    seen.add(name)
  })
}

/** Grades as a unit sets them: names unique, thresholds strictly descending (the highest grade first). */
export function checkGrades(grades: readonly Grade[], field = 'settings.grades'): void {
  checkNames(grades, field)
  grades.forEach((g, i) => {
    if (i > 0 && g.minPointsCents >= grades[i - 1]!.minPointsCents)
      throw validation(`${field}.${i}.minPoints`, 'must be below the grade before it (highest grade first)')
  })
}

/** Stars as a unit sets them: names unique, thresholds strictly ascending (一星 first), none negative. */
export function checkVolunteerStars(
  stars: readonly VolunteerStar[],
  field = 'settings.volunteerStars',
): void {
  checkNames(stars, field)
  stars.forEach((s, i) => {
    if (s.minHoursCents < 0) throw validation(`${field}.${i}.minHours`, 'must not be negative')
    if (i > 0 && s.minHoursCents <= stars[i - 1]!.minHoursCents)
      throw validation(`${field}.${i}.minHours`, 'must be above the star before it (lowest star first)')
  })
}

export interface GradeStanding {
  /** The grade reached (null: below every grade, or no grades set). */
  grade: string | null
  /** The next grade up (null: at the top, or no grades). */
  nextGrade: string | null
  /** Points still missing to the next grade (null when there is none). */
  pointsToNextGradeCents: Cents | null
}

/** The grade `points` reach under `grades` (highest first), and how far the next one up is. */
export function gradeFor(points: Cents, grades: readonly Grade[]): GradeStanding {
  const at = grades.findIndex((g) => points >= g.minPointsCents)
  const reached = at === -1 ? null : grades[at]!
  const next = at === -1 ? grades[grades.length - 1] : at > 0 ? grades[at - 1] : undefined
  return {
    grade: reached?.name ?? null,
    nextGrade: next?.name ?? null,
    pointsToNextGradeCents: next ? next.minPointsCents - points : null,
  }
}

/** The highest star `hours` (cumulative verified, hundredths) reach under `stars` (lowest first); null: none. */
export function volunteerStarFor(hours: Cents, stars: readonly VolunteerStar[]): string | null {
  let star: string | null = null
  for (const s of stars) if (hours >= s.minHoursCents) star = s.name
  return star
}

/** Grades as the API shows them ({name, minPoints: "90.00"}). */
export function gradesJson(grades: readonly Grade[]) {
  return grades.map((g) => ({ name: g.name, minPoints: formatCents(g.minPointsCents) }))
}

/** Stars as the API shows them ({name, minHours: "100.00"}). */
export function volunteerStarsJson(stars: readonly VolunteerStar[]) {
  return stars.map((s) => ({ name: s.name, minHours: formatCents(s.minHoursCents) }))
}
