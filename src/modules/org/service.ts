import { type SQL, sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import type { OrgKind } from '../../db/schema/org'
import { type Caller, requireRole, requireUnitInScope } from '../../shared/authz'
import { centsFromDb, parseCents } from '../../shared/decimal'
import { forbidden, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { DEFAULT_REDEMPTION_THRESHOLD_CENTS, effectivePublicity, kindFitsUnder } from './domain'
import * as repo from './repo'
import type { CreateOrgUnitBody, ListOrgUnitsQuery, OrgUnit, UpdateOrgUnitBody } from './schemas'

const WRITERS = ['secretary'] as const // admin counts as every role

function thresholdCents(value: unknown): number | null {
  if (value === null) return null
  const cents = parseCents(value, 'settings.redemptionThreshold')
  if (cents < 0) throw validation('settings.redemptionThreshold', 'must not be negative')
  return cents
}

export async function createOrgUnit(db: Db, caller: Caller, body: CreateOrgUnitBody): Promise<OrgUnit> {
  requireRole(caller, WRITERS)
  const threshold =
    body.settings?.redemptionThreshold === undefined
      ? null
      : thresholdCents(body.settings.redemptionThreshold)
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
}

/**
 * The settings that apply at a unit (nearest ancestor that sets each, else the default). For other modules:
 * rewards (threshold) and scoring (publicity days). Unknown unit: 404.
 */
export async function effectiveSettings(db: Db, unitId: string): Promise<EffectiveSettings> {
  const found = await repo.findUnitRecord(db, unitId)
  if (!found) throw notFound('org unit')
  return {
    redemptionThresholdCents:
      found.effThreshold === null ? DEFAULT_REDEMPTION_THRESHOLD_CENTS : centsFromDb(found.effThreshold),
    ...effectivePublicity(found),
  }
}
