import { validation } from './errors'
import { isCalendarDay } from './time'

/**
 * Keyset pagination. The cursor is opaque to clients (base64url JSON of the last row's sort key), so
 * pages stay stable and fast however deep one goes, unlike OFFSET.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/**
 * What one position of a cursor's key holds. A crafted cursor is checked here against the shape its list
 * gives out, so that whatever reaches SQL (`::uuid`, `::timestamptz`, `::bigint`, text) casts without error:
 * - text: a string with no NUL (PostgreSQL text cannot hold it) and no lone surrogate, at most 500 characters
 * - uuid: the RFC 4122 form
 * - timestamp: an ISO date and time as PostgreSQL writes `timestamptz::text` or JSON ("2026-05-01 08:30:00.123+08",
 *   "2026-05-01T08:30:00.123+08:00"), a real calendar date and time, years 0001-9999
 * - date: YYYY-MM-DD, a real calendar date, years 0001-9999
 * - month: YYYY-MM
 * - int: a safe integer (a JSON number)
 */
export type CursorPart = 'text' | 'uuid' | 'timestamp' | 'date' | 'month' | 'int'
type PartValue<P extends CursorPart> = P extends 'int' ? number : string
export type CursorKey<S extends readonly CursorPart[]> = { -readonly [K in keyof S]: PartValue<S[K]> }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.\d{1,6})?(?:Z|[+-](?:0\d|1[0-5])(?::?[0-5]\d(?::?[0-5]\d)?)?)?$/

function fits(part: CursorPart, v: unknown): boolean {
  if (part === 'int') return typeof v === 'number' && Number.isSafeInteger(v)
  if (typeof v !== 'string') return false
  switch (part) {
    case 'text':
      return v.length <= 500 && !v.includes('\u0000') && !LONE_SURROGATE.test(v)
    case 'uuid':
      return UUID.test(v)
    case 'month':
      return MONTH.test(v) && v >= '0001'
    case 'date':
    case 'timestamp': {
      const m = (part === 'date' ? DATE : TIMESTAMP).exec(v)
      return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))
    }
  }
}

/**
 * The sort key of the page before, checked position by position against `shape` (the same shape `toPage`
 * was given out with), or undefined when there is no cursor. Anything else — not base64url JSON, another
 * length, a value of another kind — is 400 validation_failed: never an error of the database's cast.
 */
export function decodeCursor<const S extends readonly CursorPart[]>(
  cursor: string | undefined,
  shape: S,
): CursorKey<S> | undefined {
  if (cursor === undefined || cursor === '') return undefined
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    key = undefined
  }
  if (Array.isArray(key) && key.length === shape.length && shape.every((part, i) => fits(part, key[i]))) {
    return key as CursorKey<S>
  }
  throw validation('cursor', 'is not a cursor this list gave out')
}

export function pageLimit(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? 50, 1), 200)
}

/**
 * Given rows fetched with `limit + 1`, returns the page and the cursor of its last row when there is more.
 */
export function toPage<T, O = T>(
  fetched: T[],
  limit: number,
  keyOf: (row: T) => readonly (string | number)[],
  map: (row: T) => O = (r) => r as unknown as O,
): { items: O[]; nextCursor: string | null } {
  const more = fetched.length > limit
  const rows = more ? fetched.slice(0, limit) : fetched
  const last = rows[rows.length - 1]
  return { items: rows.map(map), nextCursor: more && last ? encodeCursor(keyOf(last)) : null }
}
