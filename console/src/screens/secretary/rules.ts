/**
 * The rules the secretary's forms check in the browser before sending, each the same one the API holds (it
 * stays the judge: its problems show by code). Messages are i18n keys of the secretary dictionary, so a rule
 * reads the same in both languages. Amounts are decimal strings worked on as integer hundredths.
 */
import { toHundredths } from '../../lib/decimal'

export type Problem = { key: SecretaryProblemKey; vars?: Record<string, string | number> }
export type SecretaryProblemKey =
  | 'rule.required'
  | 'rule.decimal'
  | 'rule.positive'
  | 'rule.nonZero'
  | 'rule.atMost'
  | 'rule.endAfterStart'
  | 'rule.periodOrder'
  | 'rule.panel'
  | 'rule.quorum'
  | 'rule.itemCode'
  | 'rule.itemCodeTwice'
  | 'rule.maxBelowUnit'
  | 'rule.capBelowMax'
  | 'rule.wholeNumber'

const DECIMAL = /^-?\d{1,9}(\.\d{1,2})?$/

/** A decimal with at most two fraction digits, as the API takes it. */
export function decimalProblem(
  value: string | null | undefined,
  opts: { positive?: boolean; nonZero?: boolean; max?: string; whole?: boolean } = {},
): Problem | null {
  const text = (value ?? '').trim()
  if (text === '') return { key: 'rule.required' }
  if (!DECIMAL.test(text)) return { key: 'rule.decimal' }
  const n = toHundredths(text)
  if (opts.positive && n <= 0n) return { key: 'rule.positive' }
  if (opts.nonZero && n === 0n) return { key: 'rule.nonZero' }
  if (opts.whole && n % 100n !== 0n) return { key: 'rule.wholeNumber' }
  if (opts.max !== undefined && n > toHundredths(opts.max))
    return { key: 'rule.atMost', vars: { max: opts.max } }
  return null
}

/** Hours of one participant: more than 0, at most the activity's length (recordParticipation). */
export function hoursProblem(value: string | null | undefined, lengthHours: string): Problem | null {
  return decimalProblem(value, { positive: true, max: lengthHours })
}

/** An activity ends after it starts (ISO instants or anything Date reads). */
export function activityTimeProblem(
  startsAt: string | undefined,
  endsAt: string | undefined,
): Problem | null {
  if (!startsAt || !endsAt) return { key: 'rule.required' }
  return Date.parse(endsAt) > Date.parse(startsAt) ? null : { key: 'rule.endAfterStart' }
}

/** A scoring round: a period in order, a panel, a quorum of at most the panel (createScoringRound). */
export function roundProblems(input: {
  periodStart?: string
  periodEnd?: string
  panelUserIds?: string[]
  quorum?: number | null
}): Partial<Record<'period' | 'panelUserIds' | 'quorum', Problem>> {
  const out: Partial<Record<'period' | 'panelUserIds' | 'quorum', Problem>> = {}
  if (!input.periodStart || !input.periodEnd) out.period = { key: 'rule.required' }
  else if (input.periodEnd < input.periodStart) out.period = { key: 'rule.periodOrder' }
  const panel = input.panelUserIds?.length ?? 0
  if (panel === 0) out.panelUserIds = { key: 'rule.panel' }
  if (input.quorum !== null && input.quorum !== undefined) {
    if (!Number.isInteger(input.quorum) || input.quorum < 1 || (panel > 0 && input.quorum > panel))
      out.quorum = { key: 'rule.quorum', vars: { max: Math.max(panel, 1) } }
  }
  return out
}

/** The majority of a panel, the quorum the API uses when none is given. */
export function defaultQuorum(panelSize: number): number {
  return Math.floor(panelSize / 2) + 1
}

export interface ItemRow {
  code: string
  name: string
  pointsPerUnit: string
  maxPerClaim: string
  capPerYear: string
}

/**
 * Every problem of a rubric's item table at once, keyed `<row>.<field>` (a secretary fixing a 20-row table
 * wants them all, as the API reports them): codes of letters, digits, - and _ and unique; positive amounts;
 * maxPerClaim >= pointsPerUnit; capPerYear >= maxPerClaim.
 */
export function itemProblems(items: ItemRow[]): Record<string, Problem> {
  const out: Record<string, Problem> = {}
  const seen = new Set<string>()
  items.forEach((item, i) => {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(item.code)) out[`${i}.code`] = { key: 'rule.itemCode' }
    else if (seen.has(item.code)) out[`${i}.code`] = { key: 'rule.itemCodeTwice' }
    seen.add(item.code)
    if (!item.name.trim()) out[`${i}.name`] = { key: 'rule.required' }
    const amounts = ['pointsPerUnit', 'maxPerClaim', 'capPerYear'] as const
    let ok = true
    for (const f of amounts) {
      const p = decimalProblem(item[f], { positive: true })
      if (p) {
        out[`${i}.${f}`] = p
        ok = false
      }
    }
    if (!ok) return
    if (toHundredths(item.maxPerClaim) < toHundredths(item.pointsPerUnit))
      out[`${i}.maxPerClaim`] = { key: 'rule.maxBelowUnit' }
    else if (toHundredths(item.capPerYear) < toHundredths(item.maxPerClaim))
      out[`${i}.capPerYear`] = { key: 'rule.capBelowMax' }
  })
  return out
}

/** A points correction: a signed amount that is not zero, and a reason. */
export function adjustmentProblems(input: {
  amount?: string
  reason?: string
}): Partial<Record<'amount' | 'reason', Problem>> {
  const out: Partial<Record<'amount' | 'reason', Problem>> = {}
  const p = decimalProblem(input.amount, { nonZero: true })
  if (p) out.amount = p
  if (!input.reason?.trim()) out.reason = { key: 'rule.required' }
  return out
}
