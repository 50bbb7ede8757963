import { describe, expect, it } from 'vitest'
import { pointsBounds, pointsProblem, ratingProblem, scoreBody, scoreProblems } from './score'

describe('the score form (评分表)', () => {
  it('bounds points by the ceiling, a deduction between its negative ceiling and 0', () => {
    expect(pointsBounds('6.00')).toEqual({ min: '0.00', max: '6.00' })
    expect(pointsBounds('-5.00')).toEqual({ min: '-5.00', max: '0.00' })
    expect(pointsBounds('0.00')).toEqual({ min: '0.00', max: '0.00' })
  })

  it('accepts points up to the ceiling exactly and refuses one hundredth above', () => {
    expect(pointsProblem('6', '6.00')).toBeNull()
    expect(pointsProblem('6.00', '6.00')).toBeNull()
    expect(pointsProblem('0', '6.00')).toBeNull()
    expect(pointsProblem('6.01', '6.00')).toEqual({ key: 'score.pointsRange', min: '0.00', max: '6.00' })
    expect(pointsProblem('-0.01', '6.00')).toEqual({ key: 'score.pointsRange', min: '0.00', max: '6.00' })
  })

  it('keeps a deduction negative', () => {
    expect(pointsProblem('-3.5', '-5.00')).toBeNull()
    expect(pointsProblem('-5.01', '-5.00')?.key).toBe('score.pointsRange')
    expect(pointsProblem('1', '-5.00')?.key).toBe('score.pointsRange')
  })

  it('refuses what is not a two-digit decimal (no floats, no thousands, no words)', () => {
    for (const bad of ['1.234', '1,5', 'abc', '1e2', '.5', '5.'])
      expect(pointsProblem(bad, '9.00')?.key).toBe('score.pointsFormat')
    expect(pointsProblem('', '9.00')?.key).toBe('score.pointsRequired')
    expect(pointsProblem(undefined, '9.00')?.key).toBe('score.pointsRequired')
  })

  it('takes ratings as whole numbers 0 to 5', () => {
    expect(ratingProblem(0)).toBeNull()
    expect(ratingProblem(5)).toBeNull()
    expect(ratingProblem(6)?.key).toBe('score.ratingRange')
    expect(ratingProblem(-1)?.key).toBe('score.ratingRange')
    expect(ratingProblem(2.5)?.key).toBe('score.ratingRange')
    expect(ratingProblem(null)?.key).toBe('score.ratingRequired')
  })

  it('names every field at fault, and none for a good form', () => {
    expect(
      Object.keys(scoreProblems({ time: 9, content: null, quality: 3, points: '7' }, '6.00')).sort(),
    ).toEqual(['content', 'points', 'time'])
    expect(scoreProblems({ time: 4, content: 5, quality: 4, points: '5.5' }, '6.00')).toEqual({})
  })

  it('sends points as the API writes them, and no empty comment', () => {
    expect(scoreBody({ time: 4, content: 5, quality: 4, points: ' 5.5 ', comment: '  ' })).toEqual({
      time: 4,
      content: 5,
      quality: 4,
      points: '5.50',
    })
    expect(scoreBody({ time: 1, content: 1, quality: 1, points: '-2', comment: '迟到' }).comment).toBe('迟到')
  })
})
