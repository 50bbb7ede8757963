import { validation } from './errors'

/**
 * Keyset pagination. The cursor is opaque to clients (base64url JSON of the last row's sort key), so
 * pages stay stable and fast however deep one goes, unlike OFFSET.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number)[] | undefined {
  if (cursor === undefined || cursor === '') return undefined
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k) => typeof k === 'string' || typeof k === 'number')
    ) {
      return key
    }
  } catch {
    // fall through
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
