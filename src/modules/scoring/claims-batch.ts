import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { rows } from '../../db/client'
import { type IdempotentResult, idempotent } from '../../plugins/idempotency'
import { type Caller, pathInScope, requireRole } from '../../shared/authz'
import { DomainError } from '../../shared/errors'
import { recordAuditMany } from '../audit'
import { claimOut, claimTerms } from './claims'
import * as repo from './repo'
import type { CreateClaimsBatchBody } from './schemas'

export interface ClaimsBatch {
  batchId: string
  count: number
  claims: ReturnType<typeof claimOut>[]
}

/**
 * 批量申报: one claim per member under the same item (the branch meeting, a month's dues), all or nothing. Only a
 * secretary over every member's home unit files it (claims are scored in the home branch, as createClaim); a
 * member the secretary does not hold at home is named in the 400 with the same words whether or not they exist.
 * Idempotent: a retried batch with the same key answers the same claims and files none twice. Each claim is an
 * ordinary submitted claim the next round of its branch takes in, scored by the panel as any other.
 */
export async function createClaimsBatch(
  db: Db,
  caller: Caller,
  key: string,
  body: CreateClaimsBatchBody,
  tz: string,
): Promise<IdempotentResult<ClaimsBatch>> {
  requireRole(caller, ['secretary']) // members and other staff never file for a whole branch: 403
  const memberIds = body.memberIds.map((id) => id.toLowerCase())
  const request = { ...body, memberIds }
  return idempotent(db, caller, key, 'createClaimsBatch', request, async (tx) => {
    const found = await rows<{ id: string; orgUnitId: string; path: string }>(
      tx,
      sql`select m.id, m.org_unit_id as "orgUnitId", u.path
            from members m join org_units u on u.id = m.org_unit_id
           where m.id = any(${`{${memberIds.join(',')}}`}::uuid[])
             and ${pathInScope(sql`u.path`, caller, ['secretary'])}`,
    )
    const byId = new Map(found.map((m) => [m.id, m]))
    const errors = memberIds.flatMap((id, i) =>
      byId.has(id)
        ? []
        : [
            {
              field: `memberIds[${i}]`,
              message: 'is not a member at home in a unit where you are secretary',
            },
          ],
    )
    if (errors.length > 0) {
      throw new DomainError('validation_failed', `${errors[0]!.field}: ${errors[0]!.message}`, { errors })
    }
    const members = memberIds.map((id) => byId.get(id)!)
    const { rubric, item, quantity, ceiling } = await claimTerms(
      tx,
      body,
      tz,
      members.map((m) => m.path),
    )
    const batchId = randomUUID()
    await repo.insertClaimsBatch(
      tx,
      batchId,
      {
        rubricId: rubric.id,
        itemCode: item.code,
        kind: item.kind,
        occurredOn: body.occurredOn,
        quantity,
        ceiling,
        description: body.description,
        createdBy: caller.userId,
      },
      members,
    )
    const order = new Map(memberIds.map((id, i) => [id, i]))
    const claims = (await repo.batchClaims(tx, batchId))
      .sort((a, b) => order.get(a.memberId)! - order.get(b.memberId)!)
      .map((c) => claimOut(c, tz))
    // One event per claim, as createClaim writes (a claim's history reads the same however it was filed), each
    // naming its batch; in one statement.
    await recordAuditMany(
      tx,
      caller,
      claims.map((c) => ({
        action: 'claim.created',
        targetType: 'claim',
        targetId: c.id,
        orgUnitId: c.orgUnitId,
        after: c,
      })),
    )
    return { status: 201, body: { batchId, count: claims.length, claims } }
  })
}
