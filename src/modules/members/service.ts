import { randomUUID } from 'node:crypto'
import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, transaction } from '../../db/client'
import {
  type Caller,
  coversPath,
  findUnit,
  hasRole,
  pathInScope,
  registeredWhere,
  requireMemberVisible,
  requireRole,
  requireUnitInScope,
} from '../../shared/authz'
import { DomainError, forbidden, notFound } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import type { PiiKeyring } from '../../shared/pii'
import { recordAudit, recordAuditMany } from '../audit'
import { identityNumberHash, sealIdentity, setIdentityDocument } from './identity'
import { type ImportError, parseMemberCsv } from './import'
import * as repo from './repo'
import type { CreateMemberBody, ListMembersQuery, Member, UpdateMemberBody } from './schemas'

export const MEMBER_READERS = ['secretary', 'grid_worker'] as const
export const MEMBER_WRITERS = ['secretary'] as const
/** What a member may change on their own record; the rest (unit, status, ...) is the secretary's. */
const SELF_EDITABLE = new Set(['phone', 'workUnit', 'identityDocument'])

/** Name and home unit of a member, for other modules (getMe). No scope check: callers check first. */
export async function findMemberSummary(db: Db, id: string) {
  return one<{ id: string; name: string; orgUnitId: string }>(
    db,
    sql`select id, name, org_unit_id as "orgUnitId" from members where id = ${id}`,
  )
}

export async function createMember(
  db: Db,
  caller: Caller,
  body: CreateMemberBody,
  pii: PiiKeyring,
): Promise<Member> {
  return transaction(db, async (tx) => {
    await requireUnitInScope(tx, caller, body.orgUnitId, MEMBER_WRITERS)
    const id = await repo.insertMember(tx, {
      orgUnitId: body.orgUnitId,
      name: body.name,
      phone: body.phone ?? null,
      isPartyMember: body.isPartyMember,
      workUnit: body.workUnit ?? null,
    })
    if (body.identityDocument) {
      await setIdentityDocument(tx, caller, pii, { id, orgUnitId: body.orgUnitId }, body.identityDocument)
    }
    const member = (await repo.findMember(tx, id))!
    await recordAudit(tx, caller, {
      action: 'member.create',
      targetType: 'member',
      targetId: id,
      orgUnitId: body.orgUnitId,
      after: member,
    })
    return member
  })
}

/** Self, or staff reading over the member's home unit or a 双报到 community (404 otherwise). */
export async function getMember(db: Db, caller: Caller, id: string): Promise<Member> {
  await requireMemberVisible(db, caller, id, MEMBER_READERS)
  return (await repo.findMember(db, id))!
}

async function memberFilters(
  db: Db,
  caller: Caller,
  query: ListMembersQuery,
  pii: PiiKeyring,
): Promise<SQL[]> {
  const where: SQL[] = []
  const staff = hasRole(caller, MEMBER_READERS)
  if (!staff && !caller.memberId) requireRole(caller, MEMBER_READERS)
  // A member without a staff role sees exactly one record: their own.
  const inScope = sql`(${pathInScope(sql`u.path`, caller, MEMBER_READERS)} or ${registeredWhere(
    sql`m.id`,
    (p) => pathInScope(p, caller, MEMBER_READERS),
  )})`
  where.push(staff ? sql`(${inScope} or m.id = ${caller.memberId})` : sql`m.id = ${caller.memberId}`)
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || (staff && !coversPath(caller, unit.path, MEMBER_READERS))) throw notFound('org unit')
    const prefix = `${unit.path}%`
    where.push(sql`(u.path like ${prefix} or ${registeredWhere(sql`m.id`, (p) => sql`${p} like ${prefix}`)})`)
  }
  if (query.q) where.push(sql`m.name ilike ${`%${query.q.replace(/[\\%_]/g, '\\$&')}%`}`)
  if (query.status) where.push(sql`m.status = ${query.status}`)
  // By the keyed hash only: the number given is neither stored nor compared in clear.
  if (query.identityNumber) {
    where.push(sql`m.identity_hash = ${identityNumberHash(pii, query.identityNumber)}`)
  }
  return where
}

export async function listMembers(db: Db, caller: Caller, query: ListMembersQuery, pii: PiiKeyring) {
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['text', 'uuid'])
  const where = await memberFilters(db, caller, query, pii)
  return toPage(await repo.listMembers(db, where, after, limit), limit, (m) => [m.name, m.id])
}

/** Every matching member for a CSV roster (the same filters as the list, no paging), up to a bound. */
export const MAX_EXPORT_ROWS = 50_000
export async function exportMembers(
  db: Db,
  caller: Caller,
  query: ListMembersQuery,
  pii: PiiKeyring,
): Promise<Member[]> {
  return repo.listMembers(db, await memberFilters(db, caller, query, pii), undefined, MAX_EXPORT_ROWS)
}

export async function updateMember(
  db: Db,
  caller: Caller,
  id: string,
  body: UpdateMemberBody,
  pii: PiiKeyring,
): Promise<Member> {
  return transaction(db, async (tx) => {
    const visible = await requireMemberVisible(tx, caller, id, MEMBER_WRITERS)
    const asSecretary = coversPath(caller, visible.path, MEMBER_WRITERS)
    if (!asSecretary) {
      if (caller.memberId !== id)
        throw forbidden('only a secretary over the member’s home unit changes this member')
      // Mass-assignment guard: a member cannot move themselves or change their own status.
      const refused = Object.keys(body).filter((k) => !SELF_EDITABLE.has(k))
      if (refused.length)
        throw forbidden(
          `you may change only your phone, work unit and identity document, not ${refused.join(', ')}`,
        )
    }
    if (body.orgUnitId && body.orgUnitId !== visible.orgUnitId) {
      await requireUnitInScope(tx, caller, body.orgUnitId, MEMBER_WRITERS)
    }
    const before = (await repo.findMember(tx, id, true))!
    const { identityDocument, ...fields } = body
    await repo.updateMember(tx, id, fields)
    if (identityDocument !== undefined) {
      await setIdentityDocument(tx, caller, pii, { id, orgUnitId: before.orgUnitId }, identityDocument)
    }
    const after = (await repo.findMember(tx, id))!
    await recordAudit(tx, caller, {
      action: 'member.update',
      targetType: 'member',
      targetId: id,
      orgUnitId: after.orgUnitId,
      before,
      after,
    })
    return after
  })
}

/** CSV import: all rows or none. Errors name lines, counting the header as line 1. */
export async function importMembers(
  db: Db,
  caller: Caller,
  orgUnitId: string,
  text: string,
  pii: PiiKeyring,
) {
  await requireUnitInScope(db, caller, orgUnitId, MEMBER_WRITERS)
  const parsed = parseMemberCsv(text)
  if ('errors' in parsed) throw importFailed(parsed.errors)
  // Ids chosen here, so each identity number is sealed for its own member (the value opens for that row only).
  const members = parsed.rows.map(({ identity, ...r }) => {
    const id: string = randomUUID()
    return {
      ...r,
      id,
      orgUnitId,
      identity: identity ? sealIdentity(pii, id, identity.type, identity.number) : null,
    }
  })
  return transaction(db, async (tx) => {
    await requireUnitInScope(tx, caller, orgUnitId, MEMBER_WRITERS)
    const created = members.length ? await repo.insertMembers(tx, members) : []
    const documents = new Map(members.map((m) => [m.id, m.identity]))
    await recordAuditMany(tx, caller, [
      ...created.map((m) => ({
        action: 'member.import',
        targetType: 'member' as const,
        targetId: m.id,
        orgUnitId,
        after: { id: m.id, name: m.name, orgUnitId },
      })),
      // As setting it one member at a time does: the type and the mask, never the number.
      ...created.flatMap((m) => {
        const doc = documents.get(m.id)
        return doc
          ? [
              {
                action: 'member.identity_document.set',
                targetType: 'member' as const,
                targetId: m.id,
                orgUnitId,
                after: { type: doc.type, maskedNumber: doc.masked },
              },
            ]
          : []
      }),
    ])
    return { created: created.length }
  })
}

function importFailed(errors: ImportError[]) {
  const first = errors[0]!
  return new DomainError(
    'validation_failed',
    `the file has ${errors.length} error(s); nothing was imported. First: line ${first.line}: ${first.message}`,
    { errors },
  )
}
