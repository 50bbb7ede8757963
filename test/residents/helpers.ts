import { sql } from 'drizzle-orm'
import { type Db, one } from '../../src/db/client'
import { codeHash, newInvitationCode } from '../../src/modules/residents/codes'

/** An invitation straight in the database (as createResidentInvitation stores it), with its code. */
export async function createInvitation(
  db: Db,
  communityId: string,
  opts: { createdBy: string; maxUses?: number; expiresAt?: string; revoked?: boolean },
): Promise<{ id: string; code: string }> {
  const code = newInvitationCode()
  const row = await one<{ id: string }>(
    db,
    sql`insert into resident_invitations (org_unit_id, code_hash, max_uses, expires_at, revoked_at, created_by)
        values (${communityId}, ${codeHash(code)}, ${opts.maxUses ?? 100},
                coalesce(${opts.expiresAt ?? null}::timestamptz, now() + interval '30 days'),
                ${opts.revoked ? sql`now()` : sql`null`}, ${opts.createdBy})
        returning id`,
  )
  return { id: row!.id, code }
}
