import { ORG_KINDS, type OrgKind } from '../../db/schema/org'

/** Defaults when no unit up the tree sets a value (docs/api.md, "Sign-in, roles and the organisation"). */
export const DEFAULT_REDEMPTION_THRESHOLD_CENTS = 0
export const DEFAULT_PUBLICITY_DAYS = 5

/**
 * Publicity that applies at a unit from the inherited settings: the 公示 floor (as the database function
 * org_min_publicity_days gives it, default included: src/db/sql/org.sql, the one owner, which also guards every
 * round), and the days (null: nobody up the tree sets them), never below the floor.
 */
export function effectivePublicity(inherited: {
  effPublicityDays: number | null
  effMinPublicityDays: number
}): { publicityDays: number; minPublicityDays: number } {
  const minPublicityDays = inherited.effMinPublicityDays
  const days = inherited.effPublicityDays ?? DEFAULT_PUBLICITY_DAYS
  return { publicityDays: Math.max(days, minPublicityDays), minPublicityDays }
}

/** Kinds a client may create: everything below the root (the one root is made at bootstrap). */
export const CREATABLE_KINDS = ORG_KINDS.filter((k) => k !== 'root')

/** A unit's kind sits strictly below its parent's in ORG_KINDS; levels may be skipped. */
export function kindFitsUnder(parentKind: OrgKind, childKind: OrgKind): boolean {
  return ORG_KINDS.indexOf(childKind) > ORG_KINDS.indexOf(parentKind)
}

/** The ids on a materialised path "/a/b/c/", root first. */
export function idsOnPath(path: string): string[] {
  return path.split('/').filter(Boolean)
}
