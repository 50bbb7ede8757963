import { eq, type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { type OrgKind, orgUnits } from '../../db/schema/org'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { formatInstant } from '../../shared/time'
import { DEFAULT_REDEMPTION_THRESHOLD_CENTS, effectivePublicity } from './domain'
import {
  DEFAULT_GRADES,
  DEFAULT_STANDINGS_VISIBLE_TO_MEMBERS,
  DEFAULT_VOLUNTEER_STARS,
  type Grade,
  gradesJson,
  type VolunteerStar,
  volunteerStarsJson,
} from './grades'
import type { OrgUnit } from './schemas'

export interface UnitRecord {
  id: string
  parentId: string | null
  kind: OrgKind
  name: string
  code: string | null
  depth: number
  path: string
  redemptionThreshold: string | null
  publicityDays: number | null
  minPublicityDays: number | null
  effThreshold: string | null
  effPublicityDays: number | null
  effMinPublicityDays: number
  grades: Grade[] | null
  volunteerStars: VolunteerStar[] | null
  standingsVisibleToMembers: boolean | null
  certificatePersonInCharge: string | null
  certificateContactPhone: string | null
  certificateSealText: string | null
  objectionNotice: string | null
  /** The 评优 and certificate settings nearest up the tree (each null when no unit at or above sets it). */
  eff: InheritedExtras
  createdAt: string
  updatedAt: string
}

/**
 * The redemption threshold in force at the unit whose path is `path` (the nearest unit at or above it that
 * sets one; null: the default). Ancestors come from the ids on the path (primary-key lookups), nearest first.
 */
export function effectiveThresholdAt(path: SQL): SQL {
  return sql`(select a.redemption_threshold from org_units a
      where a.id = any(string_to_array(trim(both '/' from ${path}), '/')::uuid[]) and a.redemption_threshold is not null
      order by a.depth desc limit 1)`
}

/**
 * The volunteer stars (jsonb [{name, minHoursCents}], lowest first) in force at the unit whose path is `path`:
 * the nearest unit at or above it that sets them; null: the default (DEFAULT_VOLUNTEER_STARS).
 */
export function volunteerStarsAt(path: SQL): SQL {
  return sql`(select a.volunteer_stars from org_units a
      where a.id = any(string_to_array(trim(both '/' from ${path}), '/')::uuid[]) and a.volunteer_stars is not null
      order by a.depth desc limit 1)`
}

/** The nearest publicity_days set at or above the unit whose path is `path` (null: none sets it). */
function inheritedPublicityDays(path: SQL): SQL {
  return sql`(select a.publicity_days from org_units a
      where a.id = any(string_to_array(trim(both '/' from ${path}), '/')::uuid[]) and a.publicity_days is not null
      order by a.depth desc limit 1)`
}

export interface InheritedExtras {
  grades: Grade[] | null
  volunteerStars: VolunteerStar[] | null
  standingsVisibleToMembers: boolean | null
  certificatePersonInCharge: string | null
  certificateContactPhone: string | null
  certificateSealText: string | null
  objectionNotice: string | null
}

/** Each column's value at the deepest unit on `path` that sets it, in one read of the path's units. */
function inheritedExtras(path: SQL): SQL {
  const nearest = (column: string) =>
    sql.raw(`(array_agg(a.${column} order by a.depth desc) filter (where a.${column} is not null))[1]`)
  return sql`(select jsonb_build_object(
      'grades', ${nearest('grades')},
      'volunteerStars', ${nearest('volunteer_stars')},
      'standingsVisibleToMembers', ${nearest('standings_visible_to_members')},
      'certificatePersonInCharge', ${nearest('certificate_person_in_charge')},
      'certificateContactPhone', ${nearest('certificate_contact_phone')},
      'certificateSealText', ${nearest('certificate_seal_text')},
      'objectionNotice', ${nearest('objection_notice')})
    from org_units a where a.id = any(string_to_array(trim(both '/' from ${path}), '/')::uuid[]))`
}

// Raw SQL: the inherited settings are correlated sub-selects over the path's ids, clearer as SQL than as builder calls.
const SELECT_UNIT = sql`
  select u.id, u.parent_id as "parentId", u.kind, u.name, u.code, u.depth, u.path,
    u.redemption_threshold as "redemptionThreshold", u.publicity_days as "publicityDays",
    u.min_publicity_days as "minPublicityDays",
    u.grades, u.volunteer_stars as "volunteerStars", u.standings_visible_to_members as "standingsVisibleToMembers",
    u.certificate_person_in_charge as "certificatePersonInCharge",
    u.certificate_contact_phone as "certificateContactPhone", u.certificate_seal_text as "certificateSealText",
    u.objection_notice as "objectionNotice", ${inheritedExtras(sql`u.path`)} as eff,
    ${effectiveThresholdAt(sql`u.path`)} as "effThreshold",
    ${inheritedPublicityDays(sql`u.path`)} as "effPublicityDays",
    org_min_publicity_days(u.path) as "effMinPublicityDays",
    to_json(u.created_at)#>>'{}' as "createdAt", to_json(u.updated_at)#>>'{}' as "updatedAt"
  from org_units u`

export async function findUnitRecord(db: Db, id: string, lock = false): Promise<UnitRecord | undefined> {
  return one<UnitRecord>(db, sql`${SELECT_UNIT} where u.id = ${id} ${lock ? sql`for update of u` : sql``}`)
}

/** Several units' records in one read (unknown ids are left out). */
export async function findUnitRecords(db: Db, ids: readonly string[]): Promise<UnitRecord[]> {
  if (ids.length === 0) return []
  return rows<UnitRecord>(db, sql`${SELECT_UNIT} where u.id = any(${`{${ids.join(',')}}`}::uuid[])`)
}

export async function listUnitRecords(
  db: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<UnitRecord[]> {
  const conds = [...where]
  if (after) conds.push(sql`(u.name, u.id) > (${after[0]}, ${after[1]}::uuid)`)
  const clause = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``
  return rows<UnitRecord>(db, sql`${SELECT_UNIT} ${clause} order by u.name, u.id limit ${limit + 1}`)
}

export async function insertUnit(
  db: Db,
  parent: { id: string; path: string },
  unit: {
    kind: OrgKind
    name: string
    code: string | null
    threshold: number | null
    publicityDays: number | null
    minPublicityDays: number | null
    extras: Partial<OwnExtras>
  },
): Promise<string> {
  // Raw SQL: INSERT ... SELECT derives the new unit's path and depth from its parent's in the same statement.
  const row = await one<{ id: string }>(
    db,
    sql`insert into org_units (id, parent_id, kind, name, code, path, depth, redemption_threshold, publicity_days,
                               min_publicity_days)
        select g.id, p.id, ${unit.kind}, ${unit.name}, ${unit.code}, p.path || g.id || '/', p.depth + 1,
               ${unit.threshold}, ${unit.publicityDays}, ${unit.minPublicityDays}
        from org_units p, (select gen_random_uuid() as id) g where p.id = ${parent.id}
        returning id`,
  )
  await updateUnit(db, row!.id, { extras: unit.extras })
  return row!.id
}

/** The 评优 and certificate settings a unit itself sets (undefined: left as it is). */
export interface OwnExtras {
  grades: Grade[] | null
  volunteerStars: VolunteerStar[] | null
  standingsVisibleToMembers: boolean | null
  certificatePersonInCharge: string | null
  certificateContactPhone: string | null
  certificateSealText: string | null
  objectionNotice: string | null
}

export async function updateUnit(
  db: Db,
  id: string,
  set: {
    name?: string
    code?: string | null
    threshold?: number | null
    publicityDays?: number | null
    minPublicityDays?: number | null
    extras?: Partial<OwnExtras>
  },
): Promise<void> {
  // drizzle leaves undefined fields out of SET: only what the request names changes.
  await db
    .update(orgUnits)
    .set({
      name: set.name,
      code: set.code,
      redemptionThreshold: set.threshold,
      publicityDays: set.publicityDays,
      minPublicityDays: set.minPublicityDays,
      ...set.extras,
      updatedAt: sql`now()`,
    })
    .where(eq(orgUnits.id, id))
}

export function toOrgUnit(r: UnitRecord): OrgUnit {
  return {
    id: r.id,
    parentId: r.parentId,
    kind: r.kind,
    name: r.name,
    code: r.code,
    depth: r.depth,
    settings: {
      redemptionThreshold:
        r.redemptionThreshold === null ? null : formatCents(centsFromDb(r.redemptionThreshold)),
      publicityDays: r.publicityDays,
      minPublicityDays: r.minPublicityDays,
      grades: r.grades === null ? null : gradesJson(r.grades),
      volunteerStars: r.volunteerStars === null ? null : volunteerStarsJson(r.volunteerStars),
      standingsVisibleToMembers: r.standingsVisibleToMembers,
      certificate: {
        personInCharge: r.certificatePersonInCharge,
        contactPhone: r.certificateContactPhone,
        sealText: r.certificateSealText,
      },
      objectionNotice: r.objectionNotice,
    },
    effectiveSettings: {
      redemptionThreshold: formatCents(
        r.effThreshold === null ? DEFAULT_REDEMPTION_THRESHOLD_CENTS : centsFromDb(r.effThreshold),
      ),
      ...effectivePublicity(r),
      grades: gradesJson(r.eff.grades ?? DEFAULT_GRADES),
      volunteerStars: volunteerStarsJson(r.eff.volunteerStars ?? DEFAULT_VOLUNTEER_STARS),
      standingsVisibleToMembers: r.eff.standingsVisibleToMembers ?? DEFAULT_STANDINGS_VISIBLE_TO_MEMBERS,
      certificate: {
        personInCharge: r.eff.certificatePersonInCharge,
        contactPhone: r.eff.certificateContactPhone,
        sealText: r.eff.certificateSealText,
      },
      objectionNotice: r.eff.objectionNotice,
    },
    createdAt: formatInstant(r.createdAt),
    updatedAt: formatInstant(r.updatedAt),
  }
}
