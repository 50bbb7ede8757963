import { validation } from './errors'

/**
 * Points and hours are exact decimals with two places. In code and in SQL they are integers of
 * hundredths (`cents`): 12.50 points is 1250. JS numbers hold integers exactly up to 2^53, which is
 * 90 trillion points; every sum and aggregate below stays in integers, never in floats.
 */
export type Cents = number

const INPUT = /^-?\d{1,13}(\.\d{1,2})?$/

/** Parses an API input (a decimal string or a JSON number with at most two fraction digits). */
export function parseCents(value: unknown, field = 'value'): Cents {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw validation(field, 'must be a finite number')
    text = String(value)
  } else if (typeof value === 'string') {
    text = value.trim()
  } else {
    throw validation(field, 'must be a decimal string like "12.50" or a number')
  }
  if (!INPUT.test(text)) {
    // Worded as the errors plugin words the same mistake in a string ("hours: at most two decimal places").
    const places = /^-?\d+\.\d{3,}$/.test(text)
    throw validation(
      field,
      places
        ? 'at most two decimal places, e.g. "3.50"'
        : 'must be a number with at most two decimal places, e.g. "3.50"',
    )
  }
  const negative = text.startsWith('-')
  const [whole, frac = ''] = (negative ? text.slice(1) : text).split('.')
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'))
  if (!Number.isSafeInteger(cents)) throw validation(field, 'is too large')
  return negative && cents !== 0 ? -cents : cents
}

/** Formats hundredths as the API's decimal string: 1250 -> "12.50", -5 -> "-0.05". */
export function formatCents(cents: Cents | bigint | string): string {
  // Safe integers (every figure a row holds in practice) without BigInt: the ledger page formats 200 a request.
  const x = typeof cents === 'bigint' ? Number.NaN : Number(cents)
  if (Number.isSafeInteger(x) && (typeof cents !== 'string' || /^-?\d+$/.test(cents))) {
    const abs = x < 0 ? -x : x
    const frac = abs % 100
    return `${x < 0 ? '-' : ''}${(abs - frac) / 100}.${frac < 10 ? '0' : ''}${frac}`
  }
  const n = BigInt(cents)
  const negative = n < 0n
  const abs = negative ? -n : n
  const whole = abs / 100n
  const frac = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${frac}`
}

/** A SQL numeric/bigint text ("1250" or "12.5000") read back: integers only. */
export function centsFromDb(value: string | number | bigint | null | undefined): Cents {
  if (value === null || value === undefined) return 0
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer number of cents: ${value}`)
  return n
}

export function sum(values: readonly Cents[]): Cents {
  let total = 0
  for (const v of values) total += v
  return total
}

/** Rounds numerator/denominator to the nearest integer, halves away from zero (half-up in magnitude). */
export function divRoundHalfUp(numerator: number, denominator: number): Cents {
  if (denominator <= 0 || !Number.isInteger(denominator))
    throw new Error('denominator must be a positive integer')
  const n = BigInt(numerator)
  const d = BigInt(denominator)
  const negative = n < 0n
  const abs = negative ? -n : n
  const q = (abs * 2n + d) / (2n * d)
  return Number(negative ? -q : q)
}

/** Multiplies hundredths by hundredths (points per unit x quantity), back to hundredths, half-up. */
export function mulCents(a: Cents, b: Cents): Cents {
  return divRoundHalfUp(a * b, 100)
}

export function mean(values: readonly Cents[]): Cents {
  if (values.length === 0) throw new Error('mean of nothing')
  return divRoundHalfUp(sum(values), values.length)
}

export function median(values: readonly Cents[]): Cents {
  if (values.length === 0) throw new Error('median of nothing')
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : divRoundHalfUp(s[mid - 1]! + s[mid]!, 2)
}

/** Mean after dropping one highest and one lowest, when there are 4 or more values; plain mean otherwise. */
export function trimmedMean(values: readonly Cents[]): Cents {
  if (values.length < 4) return mean(values)
  const s = [...values].sort((a, b) => a - b)
  return mean(s.slice(1, -1))
}

export type Aggregation = 'mean' | 'median' | 'trimmed_mean'

export function aggregate(rule: Aggregation, values: readonly Cents[]): Cents {
  return rule === 'median' ? median(values) : rule === 'trimmed_mean' ? trimmedMean(values) : mean(values)
}
