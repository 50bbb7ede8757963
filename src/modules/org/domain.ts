import { ORG_KINDS, type OrgKind } from '../../db/schema/org'

/** Defaults when no unit up the tree sets a value (API.md, "Org settings"). */
export const DEFAULT_REDEMPTION_THRESHOLD_CENTS = 0
export const DEFAULT_PUBLICITY_DAYS = 5

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
