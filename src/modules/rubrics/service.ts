import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, pgConstraint, pgErrorCode, transaction } from '../../db/client'
import { type Caller, coversPath, requireRole, requireUnitInScope } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { DomainError, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import template from './default-template.json' with { type: 'json' }
import { type RubricItem, type RubricItemInput, validateItems } from './domain'
import * as repo from './repo'
import type { CreateRubricBody, ListRubricsQuery } from './schemas'

export type { RubricItem } from './domain'
export { claimCeiling, effectiveQuantity } from './domain'

function itemOut(it: RubricItem) {
  return {
    code: it.code,
    name: it.name,
    nameEn: it.nameEn,
    kind: it.kind,
    unit: it.unit,
    pointsPerUnit: formatCents(it.pointsPerUnit),
    maxPerClaim: formatCents(it.maxPerClaim),
    capPerYear: formatCents(it.capPerYear),
  }
}

const TEMPLATE_ITEMS = validateItems(template.items as RubricItemInput[])

export function getDefaultRubricTemplate() {
  return {
    name: template.name,
    nameEn: template.nameEn,
    note: template.note,
    items: TEMPLATE_ITEMS.map(itemOut),
  }
}

function rubricOut(r: repo.RubricRow, items: RubricItem[], tz: string) {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    year: r.year,
    name: r.name,
    status: r.status,
    copiedFromRubricId: r.copiedFromRubricId,
    items: items.map(itemOut),
    createdAt: formatInstant(r.createdAt, tz),
    updatedAt: formatInstant(r.updatedAt, tz),
    activatedAt: r.activatedAt ? formatInstant(r.activatedAt, tz) : null,
  }
}

async function homePath(db: Db, memberId: string | null): Promise<string | null> {
  if (!memberId) return null
  const row = await one<{ path: string }>(
    db,
    sql`select u.path from members m join org_units u on u.id = m.org_unit_id where m.id = ${memberId}`,
  )
  return row?.path ?? null
}

/**
 * A rubric is the rule book of its subtree, not a secret: whoever works or is a member anywhere in that
 * subtree reads it, and so does staff above it. Writing stays with secretaries over its unit.
 */
async function readableCondition(db: Db, caller: Caller, pathExpr: SQL): Promise<SQL> {
  const paths = caller.grants.map((g) => g.path)
  const home = await homePath(db, caller.memberId)
  if (home) paths.push(home)
  if (caller.grants.some((g) => g.role === 'admin')) return sql`true`
  if (paths.length === 0) return sql`false`
  return sql`(${sql.join(
    paths.map((p) => sql`(${pathExpr} like ${`${p}%`} or ${p} like ${pathExpr} || '%')`),
    sql` or `,
  )})`
}

async function requireReadable(db: Db, caller: Caller, id: string, lock = false): Promise<repo.RubricRow> {
  const rubric = await repo.findRubric(db, id, lock)
  if (!rubric) throw notFound('rubric')
  const cond = await readableCondition(db, caller, sql`${rubric.path}::text`)
  const ok = await one<{ ok: boolean }>(db, sql`select ${cond} as ok`)
  if (!ok?.ok) throw notFound('rubric')
  return rubric
}

/** The rubric, if the caller is a secretary over its unit (404 outside, 403 without the role). */
async function requireWritable(tx: Db, caller: Caller, id: string): Promise<repo.RubricRow> {
  requireRole(caller, ['secretary'])
  const rubric = await requireReadable(tx, caller, id, true)
  // Readable but not theirs to write (a rubric of a unit above them): as if it did not exist.
  if (!coversPath(caller, rubric.path, ['secretary'])) throw notFound('rubric')
  return rubric
}

export async function createRubric(db: Db, caller: Caller, body: CreateRubricBody, tz: string) {
  const sources = [body.items, body.fromTemplate, body.copyFromRubricId].filter((s) => s !== undefined)
  if (sources.length !== 1)
    throw validation('items', 'send exactly one of items, fromTemplate or copyFromRubricId')
  return transaction(db, async (tx) => {
    await requireUnitInScope(tx, caller, body.orgUnitId, ['secretary'])
    let items: RubricItem[]
    if (body.items) items = validateItems(body.items)
    else if (body.fromTemplate) items = TEMPLATE_ITEMS
    else {
      const source = await requireReadable(tx, caller, body.copyFromRubricId!)
      items = (await repo.itemsOf(tx, [source.id])).get(source.id) ?? []
    }
    const id = await repo.insertRubric(tx, {
      orgUnitId: body.orgUnitId,
      year: body.year,
      name: body.name,
      copiedFromRubricId: body.copyFromRubricId ?? null,
      createdBy: caller.userId,
    })
    await repo.replaceItems(tx, id, items)
    const out = rubricOut((await repo.findRubric(tx, id))!, items, tz)
    await recordAudit(tx, caller, {
      action: 'rubric.created',
      targetType: 'rubric',
      targetId: id,
      orgUnitId: body.orgUnitId,
      after: out,
    })
    return out
  })
}

export async function getRubric(db: Db, caller: Caller, id: string, tz: string) {
  const rubric = await requireReadable(db, caller, id)
  const items = (await repo.itemsOf(db, [id])).get(id) ?? []
  return rubricOut(rubric, items, tz)
}

export async function listRubrics(db: Db, caller: Caller, q: ListRubricsQuery, tz: string) {
  const limit = pageLimit(q.limit)
  const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid'])
  const filters = [await readableCondition(db, caller, sql`u.path`)]
  if (q.orgUnitId) filters.push(sql`r.org_unit_id = ${q.orgUnitId}`)
  if (q.year) filters.push(sql`r.year = ${q.year}`)
  if (q.status) filters.push(sql`r.status = ${q.status}`)
  const found = await repo.listRubricRows(db, sql.join(filters, sql` and `), cursor, limit)
  const items = await repo.itemsOf(
    db,
    found.slice(0, limit).map((r) => r.id),
  )
  return toPage(
    found,
    limit,
    (r) => [r.createdKey, r.id],
    (r) => rubricOut(r, items.get(r.id) ?? [], tz),
  )
}

export async function replaceRubricItems(
  db: Db,
  caller: Caller,
  id: string,
  input: RubricItemInput[],
  tz: string,
) {
  const items = validateItems(input)
  return transaction(db, async (tx) => {
    const rubric = await requireWritable(tx, caller, id)
    if (rubric.status !== 'draft')
      throw invalidState('an active rubric never changes; copy it into a new draft')
    const before = (await repo.itemsOf(tx, [id])).get(id) ?? []
    await repo.replaceItems(tx, id, items)
    const out = rubricOut((await repo.findRubric(tx, id))!, items, tz)
    await recordAudit(tx, caller, {
      action: 'rubric.items_replaced',
      targetType: 'rubric',
      targetId: id,
      orgUnitId: rubric.orgUnitId,
      before: before.map(itemOut),
      after: out.items,
    })
    return out
  })
}

export async function activateRubric(db: Db, caller: Caller, id: string, tz: string) {
  try {
    return await transaction(db, async (tx) => {
      const rubric = await requireWritable(tx, caller, id)
      if (rubric.status !== 'draft') throw invalidState('the rubric is already active')
      const other = await repo.activeRubricId(tx, rubric.orgUnitId, rubric.year)
      if (other) throw activeConflict(other)
      await repo.markActive(tx, id)
      const items = (await repo.itemsOf(tx, [id])).get(id) ?? []
      const out = rubricOut((await repo.findRubric(tx, id))!, items, tz)
      await recordAudit(tx, caller, {
        action: 'rubric.activated',
        targetType: 'rubric',
        targetId: id,
        orgUnitId: rubric.orgUnitId,
        before: { status: 'draft' },
        after: { status: 'active', activatedAt: out.activatedAt },
      })
      return out
    })
  } catch (err) {
    // Two drafts activated at once: the partial unique index lets one through.
    if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'rubrics_one_active_uq') throw activeConflict()
    throw err
  }
}

function activeConflict(otherId?: string) {
  return new DomainError('conflict', 'another rubric is already active for this unit and year', {
    ...(otherId ? { activeRubricId: otherId } : {}),
  })
}

/** For claims: the rubric with its items, or undefined. */
export async function rubricWithItems(db: Db, id: string) {
  const rubric = await repo.findRubric(db, id)
  if (!rubric) return undefined
  const items = (await repo.itemsOf(db, [id])).get(id) ?? []
  return { ...rubric, items }
}

export { applicableRubricId } from './repo'
