/**
 * The panel's score form (评分表) as rules the browser checks before sending, the same ones submitScore holds:
 * time, content and quality are whole numbers 0-5; points are a decimal with at most two fraction digits
 * between 0 and the claim's ceiling (for a deduction, whose ceiling is negative, between the ceiling and 0).
 * The server stays the judge (422 out_of_range with min and max); this only saves a round trip and says why
 * in words. Arithmetic on integer hundredths, never floats.
 */
import { fromHundredths, toHundredths } from '../../lib/decimal'

export type Rating = 'time' | 'content' | 'quality'
export const RATINGS: Rating[] = ['time', 'content', 'quality']

export interface ScoreInput {
  time: number | null | undefined
  content: number | null | undefined
  quality: number | null | undefined
  points: string | null | undefined
}

/** Why a field is refused, as an i18n key of the panelist dictionary, with its variables. */
export type ScoreProblem =
  | { key: 'score.ratingRequired' }
  | { key: 'score.ratingRange' }
  | { key: 'score.pointsRequired' }
  | { key: 'score.pointsFormat' }
  | { key: 'score.pointsRange'; min: string; max: string }

const POINTS = /^-?\d{1,7}(\.\d{1,2})?$/

/** The lowest and highest points a claim with this ceiling may be given ("-5.00" gives -5.00 .. 0.00). */
export function pointsBounds(ceiling: string): { min: string; max: string } {
  const c = toHundredths(ceiling)
  return c < 0n ? { min: fromHundredths(c), max: '0.00' } : { min: '0.00', max: fromHundredths(c) }
}

export function ratingProblem(value: number | null | undefined): ScoreProblem | null {
  if (value === null || value === undefined) return { key: 'score.ratingRequired' }
  if (!Number.isInteger(value) || value < 0 || value > 5) return { key: 'score.ratingRange' }
  return null
}

export function pointsProblem(value: string | null | undefined, ceiling: string): ScoreProblem | null {
  const text = (value ?? '').trim()
  if (text === '') return { key: 'score.pointsRequired' }
  if (!POINTS.test(text)) return { key: 'score.pointsFormat' }
  const { min, max } = pointsBounds(ceiling)
  const n = toHundredths(text)
  if (n < toHundredths(min) || n > toHundredths(max)) return { key: 'score.pointsRange', min, max }
  return null
}

/** Every problem of the form, by field; empty when it may be sent. */
export function scoreProblems(
  input: ScoreInput,
  ceiling: string,
): Partial<Record<Rating | 'points', ScoreProblem>> {
  const out: Partial<Record<Rating | 'points', ScoreProblem>> = {}
  for (const r of RATINGS) {
    const p = ratingProblem(input[r])
    if (p) out[r] = p
  }
  const p = pointsProblem(input.points, ceiling)
  if (p) out.points = p
  return out
}

/** The body of submitScore from a valid form: points as the API's two-digit string. */
export function scoreBody(input: ScoreInput & { comment?: string | null }) {
  const comment = input.comment?.trim()
  return {
    time: input.time as number,
    content: input.content as number,
    quality: input.quality as number,
    points: fromHundredths(toHundredths((input.points ?? '').trim())),
    ...(comment ? { comment } : {}),
  }
}
