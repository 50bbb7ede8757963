import { sql } from 'drizzle-orm'
import Type, { type Static } from 'typebox'
import { type Db, one } from '../../db/client'
import type { Caller } from '../../shared/authz'
import { validation } from '../../shared/errors'
import type { PiiKeyring } from '../../shared/pii'
import { recordAudit } from '../audit'

/**
 * A member's identity document (证件), which the national rules ask a 志愿服务记录证明 to name. The number is
 * personal data: kept sealed (AES-256-GCM under PII_KEY, src/shared/pii.ts), found by its keyed hash, and shown
 * only masked, everywhere (answers, CSV, PDFs, certificates). No operation reads it back in clear.
 */
export const IDENTITY_TYPES = {
  resident_id: '居民身份证',
  passport: '护照',
  hk_macao_permit: '港澳居民来往内地通行证',
  taiwan_permit: '台湾居民来往大陆通行证',
  foreign_permanent_residence: '外国人永久居留身份证',
} as const
export type IdentityType = keyof typeof IDENTITY_TYPES

export const IdentityTypeSchema = Type.Unsafe<IdentityType>({
  type: 'string',
  enum: Object.keys(IDENTITY_TYPES),
  description: Object.entries(IDENTITY_TYPES)
    .map(([code, name]) => `${code} (${name})`)
    .join(', '),
})

export const IdentityDocumentInput = Type.Object(
  {
    type: IdentityTypeSchema,
    number: Type.String({
      minLength: 5,
      maxLength: 40,
      pattern: '^[0-9A-Za-z ]+$',
      description:
        'As printed (spaces ignored, letters taken in capitals). A 居民身份证 number is 18 characters with a valid ' +
        'check digit. Stored encrypted; never answered in clear.',
    }),
  },
  { additionalProperties: false },
)
export type IdentityDocumentInput = Static<typeof IdentityDocumentInput>

export const IdentityDocument = Type.Object(
  {
    type: IdentityTypeSchema,
    maskedNumber: Type.String({
      maxLength: 40,
      pattern: '^[0-9A-Z]{1,4}\\*+[0-9A-Z]{3,4}$',
      description:
        'The number masked: a 居民身份证 (and any number of 15+ characters) shows its first 4 and last 4 ' +
        '(1301**********1234), shorter ones their first character and last 3 (E*****678)',
    }),
  },
  { description: "The member's identity document, masked; null when none is on record" },
)
export type IdentityDocument = Static<typeof IdentityDocument>

const FORMATS: Record<IdentityType, RegExp> = {
  resident_id: /^\d{17}[\dX]$/,
  passport: /^[A-Z0-9]{5,17}$/,
  hk_macao_permit: /^[HM]\d{8}(\d{2})?$/,
  taiwan_permit: /^\d{8}(\d{2})?$/,
  foreign_permanent_residence: /^([A-Z]{3}\d{12}|9\d{16}[\dX])$/,
}

/** GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits of a 居民身份证 number. */
export function residentIdCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const total = weights.reduce((acc, w, i) => acc + w * Number(first17[i]), 0)
  return '10X98765432'[total % 11]!
}

/** The number as compared and sealed: no spaces, capitals. */
export function normalizeIdentityNumber(number: string): string {
  return number.replace(/\s+/g, '').toUpperCase()
}

/** A normalised, checked number, or 400 validation_failed on `field`. */
export function checkIdentityNumber(type: IdentityType, number: string, field: string): string {
  const n = normalizeIdentityNumber(number)
  if (!FORMATS[type].test(n)) throw validation(field, `is not a valid ${IDENTITY_TYPES[type]} number`)
  if (type === 'resident_id' && residentIdCheck(n.slice(0, 17)) !== n[17]) {
    throw validation(field, 'the check digit of this 居民身份证 number does not match (a typing error?)')
  }
  return n
}

/** 1301**********1234 (15+ characters: first 4, last 4), E*****678 (shorter: first 1, last 3). */
export function maskIdentityNumber(number: string): string {
  const [head, tail] = number.length >= 15 ? [4, 4] : [1, 3]
  return number.slice(0, head) + '*'.repeat(number.length - head - tail) + number.slice(-tail)
}

const HASH_PURPOSE = 'member.identity_number'
const sealContext = (memberId: string) => `member.identity:${memberId}`

/** The keyed hash listMembers' `identityNumber` is matched by (any spelling of the same number matches). */
export function identityNumberHash(pii: PiiKeyring, number: string): string {
  return pii.hash(normalizeIdentityNumber(number), HASH_PURPOSE)
}

/** The four stored columns of a checked number for a member (the import seals many before one insert). */
export function sealIdentity(
  pii: PiiKeyring,
  memberId: string,
  type: IdentityType,
  number: string,
): { type: IdentityType; sealed: string; hash: string; masked: string } {
  return {
    type,
    sealed: pii.seal(number, sealContext(memberId)),
    hash: pii.hash(number, HASH_PURPOSE),
    masked: maskIdentityNumber(number),
  }
}

/** The type a roster names: its code (resident_id) or its name as printed (居民身份证); undefined when neither. */
export function identityTypeOf(text: string): IdentityType | undefined {
  const t = text.trim()
  if (t in IDENTITY_TYPES) return t as IdentityType
  return (Object.entries(IDENTITY_TYPES) as [IdentityType, string][]).find(([, name]) => name === t)?.[0]
}

/** The sealed number of a member (tests and a future key rotation open it; no operation answers it). */
export function openIdentityNumber(pii: PiiKeyring, memberId: string, sealed: string): string {
  return pii.open(sealed, sealContext(memberId))
}

/**
 * Records (or with null removes) the member's identity document, in the caller's transaction, and audits the
 * change with the type and the mask only. Nothing happens when the same document is already on record.
 */
export async function setIdentityDocument(
  tx: Db,
  caller: Caller,
  pii: PiiKeyring,
  member: { id: string; orgUnitId: string },
  input: IdentityDocumentInput | null,
): Promise<void> {
  const current = await one<{ type: IdentityType | null; masked: string | null; hash: string | null }>(
    tx,
    sql`select identity_type as type, identity_masked as masked, identity_hash as hash
        from members where id = ${member.id}`,
  )
  const before = current?.type ? { type: current.type, maskedNumber: current.masked } : null
  if (input === null) {
    if (!before) return
    await tx.execute(sql`update members set identity_type = null, identity_sealed = null, identity_hash = null,
                           identity_masked = null, updated_at = now() where id = ${member.id}`)
  } else {
    const number = checkIdentityNumber(input.type, input.number, 'identityDocument.number')
    const hash = pii.hash(number, HASH_PURPOSE)
    if (current?.type === input.type && current.hash === hash) return
    await tx.execute(sql`update members set identity_type = ${input.type},
                           identity_sealed = ${pii.seal(number, sealContext(member.id))}, identity_hash = ${hash},
                           identity_masked = ${maskIdentityNumber(number)}, updated_at = now()
                         where id = ${member.id}`)
  }
  const after = input ? { type: input.type, maskedNumber: maskIdentityNumber(normalize(input)) } : null
  await recordAudit(tx, caller, {
    action: input ? 'member.identity_document.set' : 'member.identity_document.remove',
    targetType: 'member',
    targetId: member.id,
    orgUnitId: member.orgUnitId,
    before: before ?? undefined,
    after: after ?? undefined,
  })
}

const normalize = (input: IdentityDocumentInput) => normalizeIdentityNumber(input.number)

/** The masked document of a member, as certificates and reports print it (null when none is on record). */
export async function identityDocumentOf(db: Db, memberId: string): Promise<IdentityDocument | null> {
  const row = await one<{ type: IdentityType | null; masked: string | null }>(
    db,
    sql`select identity_type as type, identity_masked as masked from members where id = ${memberId}`,
  )
  return row?.type && row.masked ? { type: row.type, maskedNumber: row.masked } : null
}
