import { describe, expect, it } from 'vitest'
import {
  ACCESS_TOKEN_SECONDS,
  CLOCK_SKEW_SECONDS,
  subjectOf,
  type VerifiedClaims,
  VerifiedTokens,
} from '../../src/plugins/auth/tokens'

// Token checks without Fastify (src/plugins/auth/tokens.ts): the claims this service accepts on top of the JWT
// verifier, and the cache of verified headers. The same rules through HTTP: auth.test.ts.
const SUB = '0190f6a4-1b2c-7d3e-8f40-123456789abc'
const NOW_MS = 1_800_000_000_000
const nowS = NOW_MS / 1000

describe('subjectOf (claims on top of the signature)', () => {
  const good = { sub: SUB, iat: nowS, exp: nowS + ACCESS_TOKEN_SECONDS }

  it('accepts what this service signs: a UUID subject, iat now, a lifetime of ACCESS_TOKEN_SECONDS', () => {
    expect(subjectOf(good, NOW_MS)).toBe(SUB)
  })

  it('refuses a subject that is not a UUID, or missing', () => {
    expect(subjectOf({ ...good, sub: 'admin' }, NOW_MS)).toBeNull()
    expect(subjectOf({ ...good, sub: `${SUB} ` }, NOW_MS)).toBeNull()
    expect(subjectOf({ ...good, sub: 42 }, NOW_MS)).toBeNull()
    expect(subjectOf({ iat: good.iat, exp: good.exp }, NOW_MS)).toBeNull()
  })

  it(`accepts an iat up to ${CLOCK_SKEW_SECONDS} s ahead (clock skew), refuses one 31 s ahead`, () => {
    const ahead = (s: number) => ({ sub: SUB, iat: nowS + s, exp: nowS + s + 60 })
    expect(subjectOf(ahead(CLOCK_SKEW_SECONDS), NOW_MS)).toBe(SUB)
    expect(subjectOf(ahead(CLOCK_SKEW_SECONDS + 1), NOW_MS)).toBeNull()
    expect(subjectOf(ahead(3600), NOW_MS)).toBeNull()
  })

  it('refuses a token living longer than ACCESS_TOKEN_SECONDS, and one without iat or exp', () => {
    expect(subjectOf({ ...good, exp: good.iat + ACCESS_TOKEN_SECONDS + 1 }, NOW_MS)).toBeNull()
    expect(subjectOf({ ...good, iat: nowS - 10 * 86_400, exp: nowS + 600 }, NOW_MS)).toBeNull()
    expect(subjectOf({ sub: SUB, exp: good.exp }, NOW_MS)).toBeNull()
    expect(subjectOf({ sub: SUB, iat: good.iat }, NOW_MS)).toBeNull()
    expect(subjectOf({ ...good, iat: String(good.iat) }, NOW_MS)).toBeNull()
  })
})

/** A JWT verifier stand-in: counts its calls and answers `claims` (or throws as a bad signature would). */
function verifier(claims: VerifiedClaims | Error) {
  const check = async () => {
    check.calls++
    if (claims instanceof Error) throw claims
    return claims
  }
  check.calls = 0
  return check
}

describe('VerifiedTokens', () => {
  const header = 'Bearer aaa.bbb.ccc'

  it('checks a new header once, then knows it without checking again until its exp', async () => {
    let now = NOW_MS
    const tokens = new VerifiedTokens(() => now)
    const check = verifier({ sub: SUB, iat: nowS, exp: nowS + 60 })
    expect(tokens.known(header)).toBeUndefined()
    expect(await tokens.verify(header, check)).toBe(SUB)
    now += 59_999
    expect(tokens.known(header)).toBe(SUB)
    expect(check.calls).toBe(1)
    // Another signature on the same claims is other bytes: not known.
    expect(tokens.known('Bearer aaa.bbb.ccd')).toBeUndefined()
  })

  it('an expired verified token is not known any more: it goes through the verifier again', async () => {
    let now = NOW_MS
    const tokens = new VerifiedTokens(() => now)
    const check = verifier({ sub: SUB, iat: nowS, exp: nowS + 60 })
    await tokens.verify(header, check)
    now = NOW_MS + 60_000
    expect(tokens.known(header)).toBeUndefined()
    // The verifier now refuses it (as @fastify/jwt refuses an expired token): nothing is remembered.
    expect(await tokens.verify(header, verifier(new Error('expired')))).toBeNull()
    expect(tokens.known(header, NOW_MS)).toBeUndefined()
  })

  it('a header not of the Bearer form never reaches the verifier', async () => {
    const tokens = new VerifiedTokens(() => NOW_MS)
    const check = verifier({ sub: SUB, iat: nowS, exp: nowS + 60 })
    for (const h of ['Basic abc', 'Bearer', 'Bearer ', 'aaa.bbb.ccc', 'Bearer a b']) {
      expect(await tokens.verify(h, check)).toBeNull()
    }
    expect(check.calls).toBe(0)
  })

  it('a bad signature or bad claims give null and are not remembered', async () => {
    const tokens = new VerifiedTokens(() => NOW_MS)
    expect(await tokens.verify(header, verifier(new Error('bad signature')))).toBeNull()
    expect(tokens.known(header)).toBeUndefined()
    const ahead = verifier({ sub: SUB, iat: nowS + 31, exp: nowS + 91 })
    expect(await tokens.verify(header, ahead)).toBeNull()
    expect(tokens.known(header)).toBeUndefined()
  })

  it('the iat check uses the clock at verification time', async () => {
    let now = NOW_MS
    const tokens = new VerifiedTokens(() => now)
    const claims = { sub: SUB, iat: nowS + 40, exp: nowS + 100 }
    expect(await tokens.verify(header, verifier(claims))).toBeNull()
    now += 10_000
    expect(await tokens.verify(header, verifier(claims))).toBe(SUB)
  })

  it('holds at most `max` headers: one more and the others are forgotten', async () => {
    const tokens = new VerifiedTokens(() => NOW_MS, 2)
    const check = verifier({ sub: SUB, iat: nowS, exp: nowS + 60 })
    await tokens.verify('Bearer a', check)
    await tokens.verify('Bearer b', check)
    expect(tokens.known('Bearer a')).toBe(SUB)
    await tokens.verify('Bearer c', check)
    expect(tokens.known('Bearer a')).toBeUndefined()
    expect(tokens.known('Bearer b')).toBeUndefined()
    expect(tokens.known('Bearer c')).toBe(SUB)
  })
})
