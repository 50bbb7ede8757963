import type { ItemKind, ItemUnit } from '../../db/schema/rubrics'
import { type Cents, mulCents, parseCents } from '../../shared/decimal'
import { DomainError, type FieldError } from '../../shared/errors'

/** A rubric item as the service keeps it: amounts in hundredths, always positive. */
export interface RubricItem {
  code: string
  name: string
  nameEn: string | null
  kind: ItemKind
  unit: ItemUnit
  pointsPerUnit: Cents
  maxPerClaim: Cents
  capPerYear: Cents
}

export interface RubricItemInput {
  code: string
  name: string
  nameEn?: string | null
  kind: ItemKind
  unit: ItemUnit
  pointsPerUnit: string | number
  maxPerClaim: string | number
  capPerYear: string | number
}

function amount(value: unknown, field: string, errors: FieldError[]): Cents | undefined {
  try {
    const cents = parseCents(value, field)
    if (cents <= 0) errors.push({ field, message: 'must be positive' })
    return cents
  } catch (err) {
    // parseCents' own words ("at most two decimal places, e.g. "3.50""), as every other amount says them.
    if (err instanceof DomainError)
      errors.push({
        field,
        message: (err.extra.errors as FieldError[] | undefined)?.[0]?.message ?? err.message,
      })
    else throw err
    return undefined
  }
}

/**
 * Checks a whole item list and reports every problem at once (a secretary fixing a 20-row table wants all
 * of them): unique codes, positive amounts with two places, maxPerClaim >= pointsPerUnit and
 * capPerYear >= maxPerClaim. Kind and unit values are already enforced by the request schema.
 */
export function validateItems(items: readonly RubricItemInput[]): RubricItem[] {
  const errors: FieldError[] = []
  const seen = new Set<string>()
  const out: RubricItem[] = []
  if (items.length === 0) errors.push({ field: 'items', message: 'must hold at least one item' })
  items.forEach((item, i) => {
    const at = `items.${i}`
    if (seen.has(item.code)) errors.push({ field: `${at}.code`, message: `duplicates code ${item.code}` })
    seen.add(item.code)
    const ppu = amount(item.pointsPerUnit, `${at}.pointsPerUnit`, errors)
    const max = amount(item.maxPerClaim, `${at}.maxPerClaim`, errors)
    const cap = amount(item.capPerYear, `${at}.capPerYear`, errors)
    if (ppu !== undefined && max !== undefined && max < ppu)
      errors.push({ field: `${at}.maxPerClaim`, message: 'must be at least pointsPerUnit' })
    if (max !== undefined && cap !== undefined && cap < max)
      errors.push({ field: `${at}.capPerYear`, message: 'must be at least maxPerClaim' })
    if (ppu !== undefined && max !== undefined && cap !== undefined) {
      out.push({
        code: item.code,
        name: item.name,
        nameEn: item.nameEn ?? null,
        kind: item.kind,
        unit: item.unit,
        pointsPerUnit: ppu,
        maxPerClaim: max,
        capPerYear: cap,
      })
    }
  })
  if (errors.length > 0) {
    throw new DomainError('validation_failed', `${errors[0]!.field}: ${errors[0]!.message}`, { errors })
  }
  return out
}

/** A fixed item is claimed once per claim, whatever quantity was sent. */
export function effectiveQuantity(unit: ItemUnit, quantity: Cents | undefined): Cents | undefined {
  return unit === 'fixed' ? 100 : quantity
}

/**
 * The most a claim can be worth: min(pointsPerUnit * quantity, maxPerClaim), negative for deductions.
 * Quantity is in hundredths (2.50 hours = 250), so the product is rounded half-up back to hundredths.
 */
export function claimCeiling(
  item: Pick<RubricItem, 'kind' | 'unit' | 'pointsPerUnit' | 'maxPerClaim'>,
  quantity: Cents,
): Cents {
  const q = effectiveQuantity(item.unit, quantity) ?? 0
  const raw = Math.min(mulCents(item.pointsPerUnit, q), item.maxPerClaim)
  return item.kind === 'deduction' ? -raw : raw
}
