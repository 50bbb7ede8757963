import { createHash, randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { type Db, one, transaction } from '../../db/client'

export const REFRESH_TOKEN_DAYS = 30

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Issues a refresh token in a family (a new family at login). Only its hash is stored. */
export async function issueRefreshToken(tx: Db, userId: string, familyId?: string): Promise<string> {
  const token = randomBytes(32).toString('base64url')
  await tx.execute(
    sql`insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
        values (${userId}, coalesce(${familyId ?? null}::uuid, gen_random_uuid()), ${hashToken(token)},
                now() + make_interval(days => ${REFRESH_TOKEN_DAYS}))`,
  )
  return token
}

export type RotateOutcome =
  | { ok: true; userId: string; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'reused' | 'revoked' | 'disabled' }

/**
 * Uses up a refresh token and issues its successor in the same family. The row lock serialises two
 * refreshes of one token: the second sees it used. A used token presented again means it leaked, so the
 * whole family is revoked (that revocation commits, then the caller answers 401).
 */
export async function rotateRefreshToken(db: Db, token: string): Promise<RotateOutcome> {
  return transaction(db, async (tx) => {
    const row = await one<{
      id: string
      userId: string
      familyId: string
      expired: boolean
      usedAt: Date | null
      revokedAt: Date | null
      disabled: boolean
    }>(
      tx,
      sql`select t.id, t.user_id as "userId", t.family_id as "familyId", t.expires_at <= now() as expired,
                 t.used_at as "usedAt", t.revoked_at as "revokedAt", u.disabled_at is not null as disabled
          from refresh_tokens t join users u on u.id = t.user_id
          where t.token_hash = ${hashToken(token)} for update of t`,
    )
    if (!row) return { ok: false, reason: 'unknown' } as const
    if (row.revokedAt) return { ok: false, reason: 'revoked' } as const
    if (row.usedAt) {
      await revokeFamily(tx, row.familyId)
      return { ok: false, reason: 'reused' } as const
    }
    if (row.expired) return { ok: false, reason: 'expired' } as const
    if (row.disabled) {
      await revokeFamily(tx, row.familyId)
      return { ok: false, reason: 'disabled' } as const
    }
    await tx.execute(sql`update refresh_tokens set used_at = now() where id = ${row.id}`)
    const next = await issueRefreshToken(tx, row.userId, row.familyId)
    return { ok: true, userId: row.userId, refreshToken: next } as const
  })
}

export async function revokeFamily(tx: Db, familyId: string): Promise<void> {
  await tx.execute(
    sql`update refresh_tokens set revoked_at = now() where family_id = ${familyId} and revoked_at is null`,
  )
}

/** Logout: revokes the token's family if the token is the caller's; an unknown token is not an error. */
export async function revokeByToken(db: Db, userId: string, token: string): Promise<boolean> {
  const row = await one<{ familyId: string }>(
    db,
    sql`select family_id as "familyId" from refresh_tokens where token_hash = ${hashToken(token)} and user_id = ${userId}`,
  )
  if (!row) return false
  await revokeFamily(db, row.familyId)
  return true
}
