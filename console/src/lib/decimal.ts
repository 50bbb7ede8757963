/**
 * Points and hours arrive as decimal strings with two fraction digits ("26.75", "-3.00"). The console never
 * turns them into floats: arithmetic is on integer hundredths (bigint), display is string work.
 */

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d{1,2}))?$/

/** "12.5" -> 1250n; throws on anything that is not a decimal with at most two fraction digits. */
export function toHundredths(value: string): bigint {
  const m = DECIMAL.exec(value.trim())
  if (!m) throw new Error(`not a decimal amount: ${JSON.stringify(value)}`)
  const [, sign, whole, frac = ''] = m
  const n = BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0'))
  return sign === '-' ? -n : n
}

/** 1250n -> "12.50"; -5n -> "-0.05". */
export function fromHundredths(n: bigint): string {
  const negative = n < 0n
  const abs = negative ? -n : n
  const whole = abs / 100n
  const frac = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${frac}`
}

export function addDecimal(a: string, b: string): string {
  return fromHundredths(toHundredths(a) + toHundredths(b))
}

export function subtractDecimal(a: string, b: string): string {
  return fromHundredths(toHundredths(a) - toHundredths(b))
}

/** -1, 0 or 1. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const d = toHundredths(a) - toHundredths(b)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}

/** a * k for a whole quantity k (a reward's cost times the quantity). */
export function multiplyDecimal(a: string, k: number): string {
  if (!Number.isSafeInteger(k)) throw new Error(`not a whole quantity: ${k}`)
  return fromHundredths(toHundredths(a) * BigInt(k))
}

export interface FormatOptions {
  /** Group thousands: "1,234.50" (default true). */
  grouping?: boolean
  /** Show "+" on positive amounts (ledger changes). */
  signed?: boolean
}

/**
 * "1234.5" -> "1,234.50"; with `signed`, "3.33" -> "+3.33". A value that is not a decimal (null, garbage from a
 * newer server) shows as "—" rather than NaN.
 */
export function formatDecimal(value: string | null | undefined, options: FormatOptions = {}): string {
  if (value === null || value === undefined) return '—'
  let n: bigint
  try {
    n = toHundredths(value)
  } catch {
    return '—'
  }
  const text = fromHundredths(n < 0n ? -n : n)
  const [whole, frac] = text.split('.') as [string, string]
  const grouped = options.grouping === false ? whole : whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const sign = n < 0n ? '-' : options.signed && n > 0n ? '+' : ''
  return `${sign}${grouped}.${frac}`
}

export function isNegative(value: string): boolean {
  return toHundredths(value) < 0n
}
