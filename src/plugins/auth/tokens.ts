export const TOKEN_ISSUER = 'volunteer-points'
export const TOKEN_AUDIENCE = 'volunteer-points-api'
export const ACCESS_TOKEN_SECONDS = 15 * 60
/**
 * How far a token's iat may lie in the future: the clocks of the processes that sign and verify may differ by
 * this much. A later iat (a token minted with a moved clock, or forged with a leaked key to outlive rotation) is
 * refused, as is any token whose exp - iat exceeds ACCESS_TOKEN_SECONDS.
 */
export const CLOCK_SKEW_SECONDS = 30

/** An Authorization header of the one accepted form. */
export const BEARER = /^Bearer\s+\S+$/i
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const VERIFIED_TOKENS_MAX = 10_000

/** The claims of a token whose signature, exp, iss and aud the JWT verifier (@fastify/jwt) accepted. */
export interface VerifiedClaims {
  sub?: unknown
  iat?: unknown
  exp?: unknown
}

/**
 * The subject of claims this service could have signed, else null: sub a UUID, iat at most CLOCK_SKEW_SECONDS
 * ahead of `nowMs`, exp - iat at most ACCESS_TOKEN_SECONDS (a longer-lived token was not signed here).
 */
export function subjectOf(claims: VerifiedClaims, nowMs: number): string | null {
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return null
  if (typeof claims.iat !== 'number' || claims.iat > nowMs / 1000 + CLOCK_SKEW_SECONDS) return null
  if (typeof claims.exp !== 'number' || claims.exp - claims.iat > ACCESS_TOKEN_SECONDS) return null
  return claims.sub
}

/**
 * Bearer tokens whose signature and claims checked out, keyed by the whole header (signature included), so only
 * the very same bytes skip the HMAC; never past the token's own exp, and at most `max` (then all are forgotten).
 * Revocation does not depend on this: the caller's user and grants are re-read (CallerCache).
 */
export class VerifiedTokens {
  private readonly verified = new Map<string, { sub: string; expMs: number }>()

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly max = VERIFIED_TOKENS_MAX,
  ) {}

  /** The subject of a header verified before and not yet expired at `now`, else undefined (then `verify`). */
  known(header: string, now = this.clock()): string | undefined {
    const hit = this.verified.get(header)
    if (hit === undefined) return undefined
    if (now < hit.expMs) return hit.sub
    this.verified.delete(header)
    return undefined
  }

  /**
   * Checks a header not seen before (or expired since): its form, then `checkSignature` (the JWT verifier on
   * that header: signature, exp, iss, aud; it throws on a bad token), then the claims (subjectOf). The subject
   * of a good token (remembered), else null.
   */
  async verify(header: string, checkSignature: () => Promise<VerifiedClaims>): Promise<string | null> {
    if (!BEARER.test(header)) return null
    try {
      const claims = await checkSignature()
      const sub = subjectOf(claims, this.clock())
      if (sub === null) return null
      if (this.verified.size >= this.max) this.verified.clear()
      this.verified.set(header, { sub, expMs: (claims.exp as number) * 1000 })
      return sub
    } catch {
      return null
    }
  }
}
