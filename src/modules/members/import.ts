import { parseCsv } from '../../shared/csv'
import { DomainError } from '../../shared/errors'
import { firstForbiddenChar } from '../../shared/text'
import { checkIdentityNumber, IDENTITY_TYPES, type IdentityType, identityTypeOf } from './identity'

export interface ImportRow {
  name: string
  isPartyMember: boolean
  phone: string | null
  workUnit: string | null
  /** The identity document, the number checked and normalised (sealed by the service, never stored as is). */
  identity: { type: IdentityType; number: string } | null
}

export interface ImportError {
  line: number
  message: string
}

export const MAX_IMPORT_ROWS = 10_000
const MAX_ERRORS = 100
const COLUMNS = ['name', 'isPartyMember', 'phone', 'workUnit', 'identityType', 'identityNumber'] as const
const REQUIRED = ['name', 'isPartyMember'] as const
const TRUE = new Set(['true', '1', 'yes', 'y', '是'])
const FALSE = new Set(['false', '0', 'no', 'n', '否'])
const PHONE = /^[0-9+()\- ]{1,40}$/

/**
 * Parses a member import (header row, columns in any order: name,isPartyMember,phone,workUnit and optionally
 * identityType,identityNumber). Pure: returns every row or every error, each naming its line with the header as
 * line 1. An identity number is checked as createMember checks it; an error names the line, never the number.
 */
export function parseMemberCsv(text: string): { rows: ImportRow[] } | { errors: ImportError[] } {
  let records: { line: number; fields: string[] }[]
  try {
    records = parseCsv(text)
  } catch (err) {
    const line = Number(/line (\d+)/.exec((err as Error).message)?.[1] ?? 1)
    return { errors: [{ line, message: 'a quoted field is never closed' }] }
  }
  const header = records[0]
  if (!header) return { errors: [{ line: 1, message: 'the file is empty; expected a header row' }] }
  const names = header.fields.map((h) => h.trim())
  const errors: ImportError[] = []
  for (const n of names) {
    if (!(COLUMNS as readonly string[]).includes(n)) {
      errors.push({ line: 1, message: `unknown column "${n}"; expected ${COLUMNS.join(',')}` })
    }
  }
  for (const r of REQUIRED) if (!names.includes(r)) errors.push({ line: 1, message: `missing column "${r}"` })
  if (new Set(names).size !== names.length) errors.push({ line: 1, message: 'a column appears twice' })
  if (errors.length) return { errors }
  if (records.length - 1 > MAX_IMPORT_ROWS) {
    return { errors: [{ line: 1, message: `at most ${MAX_IMPORT_ROWS} rows per import` }] }
  }

  const rows: ImportRow[] = []
  for (const rec of records.slice(1)) {
    if (errors.length >= MAX_ERRORS) break
    const bad = (message: string) => errors.push({ line: rec.line, message })
    if (rec.fields.length !== names.length) {
      bad(`expected ${names.length} fields, found ${rec.fields.length}`)
      continue
    }
    const get = (c: string) => {
      const i = names.indexOf(c)
      return i < 0 ? '' : rec.fields[i]!.trim()
    }
    const name = get('name')
    const flag = get('isPartyMember').toLowerCase()
    const phone = get('phone')
    const workUnit = get('workUnit')
    const before = errors.length
    // The text rule of the JSON API (shared/text.ts), so an import cannot store what createMember refuses.
    for (const [column, value] of [
      ['name', name],
      ['phone', phone],
      ['workUnit', workUnit],
    ] as const) {
      const char = firstForbiddenChar(value)
      if (char) bad(`${column} holds ${char}, a control or bidirectional override character no text may hold`)
    }
    if (errors.length > before) continue
    if (!name) bad('name is required')
    else if (name.length > 100) bad('name is longer than 100 characters')
    if (!TRUE.has(flag) && !FALSE.has(flag))
      bad('isPartyMember must be true or false (also 1/0, yes/no, 是/否)')
    if (phone && !PHONE.test(phone)) bad('phone may hold only digits, spaces, +, - and brackets (at most 40)')
    if (workUnit.length > 200) bad('workUnit is longer than 200 characters')
    const identity = identityOf(get('identityType'), get('identityNumber'), bad)
    if (errors.length === before) {
      rows.push({
        name,
        isPartyMember: TRUE.has(flag),
        phone: phone || null,
        workUnit: workUnit || null,
        identity: identity ?? null,
      })
    }
  }
  if (errors.length) return { errors }
  return { rows }
}

/** The identity document of a line: both cells or neither; the number checked (its check digit too). */
function identityOf(
  typeText: string,
  numberText: string,
  bad: (message: string) => void,
): { type: IdentityType; number: string } | undefined {
  if (!typeText && !numberText) return undefined
  if (!typeText) {
    bad('identityNumber needs identityType')
    return undefined
  }
  const type = identityTypeOf(typeText)
  if (!type) {
    bad(
      `identityType must be one of ${Object.keys(IDENTITY_TYPES).join(', ')} (or ${Object.values(IDENTITY_TYPES).join('、')})`,
    )
    return undefined
  }
  if (!numberText) {
    bad('identityType needs identityNumber')
    return undefined
  }
  if (numberText.length > 40 || !/^[0-9A-Za-z ]+$/.test(numberText)) {
    bad('identityNumber may hold only letters, digits and spaces (at most 40)')
    return undefined
  }
  try {
    return { type, number: checkIdentityNumber(type, numberText, 'identityNumber') }
  } catch (err) {
    if (!(err instanceof DomainError)) throw err
    bad(`identityNumber ${err.extra.errors?.[0]?.message ?? 'is not valid'}`)
    return undefined
  }
}
