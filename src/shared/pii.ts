import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Personal data kept encrypted at rest (identity document numbers today; phones may follow): AES-256-GCM with a
 * key from PII_KEY, and a keyed hash (HMAC-SHA256) to find a row by the value without storing or comparing it in
 * clear. The master key is never used directly: HKDF derives one key for encryption and one for the hash, so the
 * two uses cannot be confused.
 *
 * A stored value reads `pii1.<keyId>.<base64url(iv | tag | ciphertext)>`: the version of this format, the key
 * that sealed it (8 hex of an HMAC of the key, never the key) and the sealed bytes. Several keys may be given
 * (the first seals, every one opens), so a key can be replaced: add the new one first, re-seal, drop the old.
 * `context` (for example `member.identity:<member id>`) is authenticated with the value, so a sealed value copied
 * into another row or field does not open there.
 */
export interface PiiKeyring {
  seal(plain: string, context: string): string
  /** Throws PiiError when the value was not sealed by one of the keys, was altered, or belongs elsewhere. */
  open(sealed: string, context: string): string
  /** The keyed hash of `value` under `purpose` (hex): equal values give equal hashes, under the current key. */
  hash(value: string, purpose: string): string
}

export class PiiError extends Error {}

const VERSION = 'pii1'
const IV_BYTES = 12
const TAG_BYTES = 16

/** PII_KEY: 32 bytes as base64 (44 characters, or base64url) or hex (64 characters). Throws on anything else. */
export function parsePiiKey(text: string): Buffer {
  const t = text.trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : Buffer.alloc(0)
  if (bytes.length !== 32) throw new PiiError('must be 32 bytes, as base64 or hex')
  return bytes
}

/** A fresh random key, as PII_KEY takes it (base64). */
export function newPiiKey(): string {
  return randomBytes(32).toString('base64')
}

interface DerivedKey {
  id: string
  enc: Buffer
  mac: Buffer
}

function derive(master: Buffer): DerivedKey {
  const sub = (label: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), label, 32))
  return {
    id: createHmac('sha256', master).update('volunteer-points pii key id').digest('hex').slice(0, 8),
    enc: sub('volunteer-points pii aes-256-gcm'),
    mac: sub('volunteer-points pii hmac-sha256'),
  }
}

/** The keyring of `keys` (raw 32-byte keys): the first seals and hashes, any opens. */
export function piiKeyring(keys: Buffer[]): PiiKeyring {
  if (keys.length === 0) throw new PiiError('no key')
  const derived = keys.map(derive)
  const current = derived[0]!
  const byId = new Map(derived.map((k) => [k.id, k]))
  return {
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', current.enc, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      const packed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
      return `${VERSION}.${current.id}.${packed}`
    },
    open(sealed, context) {
      const [version, keyId, packed, ...rest] = sealed.split('.')
      if (version !== VERSION || !keyId || packed === undefined || rest.length) {
        throw new PiiError('not a sealed value')
      }
      const key = byId.get(keyId)
      if (!key) throw new PiiError(`sealed under key ${keyId}, which is not configured`)
      const bytes = Buffer.from(packed, 'base64url')
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new PiiError('not a sealed value')
      const decipher = createDecipheriv('aes-256-gcm', key.enc, bytes.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      try {
        return Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        throw new PiiError('the sealed value does not open under its key (altered, or moved from elsewhere)')
      }
    },
    hash(value, purpose) {
      return createHmac('sha256', current.mac).update(`${purpose}\u0000${value}`, 'utf8').digest('hex')
    },
  }
}

/** A keyring that refuses every use: an app built without PII_KEY (the OpenAPI script) never touches personal data. */
export const NO_PII_KEYRING: PiiKeyring = {
  seal: () => {
    throw new PiiError('PII_KEY is not configured')
  },
  open: () => {
    throw new PiiError('PII_KEY is not configured')
  },
  hash: () => {
    throw new PiiError('PII_KEY is not configured')
  },
}
