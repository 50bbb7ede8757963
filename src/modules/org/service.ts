import { type SQL, sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import type { OrgKind } from '../../db/schema/org'
import { type Caller, requireRole, requireUnitInScope } from '../../shared/authz'
import { centsFromDb, parseCents } from '../../shared/decimal'
import { forbidden, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { DEFAULT_REDEMPTION_THRESHOLD_CENTS, effectivePublicity, kindFitsUnder } from './domain'
import {
  checkGrades,
  checkVolunteerStars,
  DEFAULT_GRADES,
  DEFAULT_STANDINGS_VISIBLE_TO_MEMBERS,
  DEFAULT_VOLUNTEER_STARS,
  type Grade,
  type VolunteerStar,
} from './grades'
import * as repo from './repo'
import type { CreateOrgUnitBody, ListOrgUnitsQuery, OrgUnit, UpdateOrgUnitBody } from './schemas'

const WRITERS = ['secretary'] as const // admin counts as every role

function thresholdCents(value: unknown): number | null {
  if (value === null) return null
  const cents = parseCents(value, 'settings.redemptionThreshold')
  if (cents < 0) throw validation('settings.redemptionThreshold', 'must not be negative')
  return cents
}

type SettingsInput = NonNullable<CreateOrgUnitBody['settings']>

/** The 评优 and certificate settings a request names, checked (grades descending, stars ascending, names unique). */
function extrasFromInput(settings: SettingsInput | undefined): Partial<repo.OwnExtras> {
  const out: Partial<repo.OwnExtras> = {}
  if (!settings) return out
  if (settings.grades !== undefined) {
    out.grades =
      settings.grades === null
        ? null
        : settings.grades.map(
            (g, i): Grade => ({
              name: g.name.trim(),
              minPointsCents: parseCents(g.minPoints, `settings.grades.${i}.minPoints`),
            }),
          )
    if (out.grades) checkGrades(out.grades)
  }
  if (settings.volunteerStars !== undefined) {
    out.volunteerStars =
      settings.volunteerStars === null
        ? null
        : settings.volunteerStars.map(
            (v, i): VolunteerStar => ({
              name: v.name.trim(),
              minHoursCents: parseCents(v.minHours, `settings.volunteerStars.${i}.minHours`),
            }),
          )
    if (out.volunteerStars) checkVolunteerStars(out.volunteerStars)
  }
  if (settings.standingsVisibleToMembers !== undefined)
    out.standingsVisibleToMembers = settings.standingsVisibleToMembers
  const cert = settings.certificate
  if (cert?.personInCharge !== undefined) out.certificatePersonInCharge = cert.personInCharge
  if (cert?.contactPhone !== undefined) out.certificateContactPhone = cert.contactPhone
  if (cert?.sealText !== undefined) out.certificateSealText = cert.sealText
  if (settings.objectionNotice !== undefined) out.objectionNotice = settings.objectionNotice
  return out
}

export async function createOrgUnit(db: Db, caller: Caller, body: CreateOrgUnitBody): Promise<OrgUnit> {
  requireRole(caller, WRITERS)
  const threshold =
    body.settings?.redemptionThreshold === undefined
      ? null
      : thresholdCents(body.settings.redemptionThreshold)
  const extras = extrasFromInput(body.settings)
  return transaction(db, async (tx) => {
    const parent = await requireUnitInScope(tx, caller, body.parentId, WRITERS)
    if (!kindFitsUnder(parent.kind as OrgKind, body.kind)) {
      throw validation('kind', `a ${body.kind} cannot sit under a ${parent.kind}`)
    }
    const id = await repo.insertUnit(tx, parent, {
      kind: body.kind,
      name: body.name,
      code: body.code ?? null,
      threshold,
      publicityDays: body.settings?.publicityDays ?? null,
      minPublicityDays: body.settings?.minPublicityDays ?? null,
      extras,
    })
    await checkPublicitySettings(tx, id)
    const unit = repo.toOrgUnit((await repo.findUnitRecord(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'org_unit.create',
      targetType: 'org_unit',
      targetId: id,
      orgUnitId: id,
      after: unit,
    })
    return unit
  })
}

/** Any signed-in user reads the directory: unit names are not secret (docs/api.md). */
export async function getOrgUnit(db: Db, id: string): Promise<OrgUnit> {
  const found = await repo.findUnitRecord(db, id)
  if (!found) throw notFound('org unit')
  return repo.toOrgUnit(found)
}

export async function listOrgUnits(db: Db, query: ListOrgUnitsQuery) {
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['text', 'uuid'])
  const where: SQL[] = []
  if (query.parentId) where.push(sql`u.parent_id = ${query.parentId}`)
  if (query.kind) where.push(sql`u.kind = ${query.kind}`)
  if (query.q) where.push(sql`u.name ilike ${`%${query.q.replace(/[\\%_]/g, '\\$&')}%`}`)
  const found = await repo.listUnitRecords(db, where, after, limit)
  return toPage(found, limit, (r) => [r.name, r.id], repo.toOrgUnit)
}

export async function updateOrgUnit(
  db: Db,
  caller: Caller,
  id: string,
  body: UpdateOrgUnitBody,
): Promise<OrgUnit> {
  requireRole(caller, WRITERS)
  const threshold =
    body.settings?.redemptionThreshold === undefined
      ? undefined
      : thresholdCents(body.settings.redemptionThreshold)
  const extras = extrasFromInput(body.settings)
  return transaction(db, async (tx) => {
    const unit = await requireUnitInScope(tx, caller, id, WRITERS)
    if (body.settings?.minPublicityDays !== undefined) requireAbove(caller, unit.path)
    const before = repo.toOrgUnit((await repo.findUnitRecord(tx, id, true))!)
    await repo.updateUnit(tx, id, {
      name: body.name,
      code: body.code,
      threshold,
      publicityDays: body.settings?.publicityDays,
      minPublicityDays: body.settings?.minPublicityDays,
      extras,
    })
    await checkPublicitySettings(tx, id)
    const after = repo.toOrgUnit((await repo.findUnitRecord(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'org_unit.update',
      targetType: 'org_unit',
      targetId: id,
      orgUnitId: id,
      before,
      after,
    })
    return after
  })
}

/**
 * The 公示 floor is set from above: an admin, or a secretary whose grant sits strictly above the unit. A branch
 * secretary may not lower (or raise) their own branch's floor.
 */
function requireAbove(caller: Caller, unitPath: string) {
  const above = caller.grants.some(
    (g) =>
      g.role === 'admin' ||
      (WRITERS.includes(g.role as 'secretary') && unitPath.startsWith(g.path) && unitPath !== g.path),
  )
  if (!above) throw forbidden('minPublicityDays is set by an admin or from a unit above this one')
}

/**
 * After a change to a unit: a unit's own publicityDays is never below the floor that applies there (400), so
 * nobody sets days the rounds would not honour. Checked on the written row, inside the transaction.
 */
async function checkPublicitySettings(tx: Db, unitId: string) {
  const r = (await repo.findUnitRecord(tx, unitId))!
  const floor = effectivePublicity(r).minPublicityDays
  if (r.publicityDays !== null && r.publicityDays < floor)
    throw validation('settings.publicityDays', `must be at least ${floor}, the publicity floor (公示) here`)
}

export interface EffectiveSettings {
  /** Points in hundredths. */
  redemptionThresholdCents: number
  publicityDays: number
  /** The 公示 floor: no round here keeps results on the board for fewer days. */
  minPublicityDays: number
  /** 等次 by the year's net points, highest first (empty: no grades; see gradeFor). */
  grades: Grade[]
  /** 志愿者星级 by cumulative verified hours, lowest first (see volunteerStarFor). */
  volunteerStars: VolunteerStar[]
  /** 亮积分: whether members of a branch here read its standings. */
  standingsVisibleToMembers: boolean
  /** Printed on service certificates; null where no unit up the tree sets it. */
  certificate: { personInCharge: string | null; contactPhone: string | null; sealText: string | null }
  /** Printed on the notice-board sheet: how and until when to object; null where nobody sets it. */
  objectionNotice: string | null
}

function toEffective(found: repo.UnitRecord): EffectiveSettings {
  return {
    redemptionThresholdCents:
      found.effThreshold === null ? DEFAULT_REDEMPTION_THRESHOLD_CENTS : centsFromDb(found.effThreshold),
    ...effectivePublicity(found),
    grades: found.eff.grades ?? [...DEFAULT_GRADES],
    volunteerStars: found.eff.volunteerStars ?? [...DEFAULT_VOLUNTEER_STARS],
    standingsVisibleToMembers: found.eff.standingsVisibleToMembers ?? DEFAULT_STANDINGS_VISIBLE_TO_MEMBERS,
    certificate: {
      personInCharge: found.eff.certificatePersonInCharge,
      contactPhone: found.eff.certificateContactPhone,
      sealText: found.eff.certificateSealText,
    },
    objectionNotice: found.eff.objectionNotice,
  }
}

/**
 * The settings that apply at a unit (nearest ancestor that sets each, else the default). For other modules:
 * rewards (threshold), scoring (publicity days), reports (grades, standings), certificates. Unknown unit: 404.
 */
export async function effectiveSettings(db: Db, unitId: string): Promise<EffectiveSettings> {
  const found = await repo.findUnitRecord(db, unitId)
  if (!found) throw notFound('org unit')
  return toEffective(found)
}

/**
 * The settings that apply at each of several units, in one read (for a report over many home units). Unknown
 * ids are absent from the map.
 */
export async function effectiveSettingsOf(
  db: Db,
  unitIds: readonly string[],
): Promise<Map<string, EffectiveSettings>> {
  const found = await repo.findUnitRecords(db, [...new Set(unitIds)])
  return new Map(found.map((r) => [r.id, toEffective(r)]))
}
