import { createHash, randomBytes } from 'node:crypto'
import { CODE_LENGTH } from './schemas'

/** Uppercase letters without I and O, digits without 0 and 1: nothing to misread on a notice board. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** A fresh invitation code: 8 characters of 32, 40 bits (each byte's low 5 bits: 256 is a multiple of 32). */
export function newInvitationCode(): string {
  return [...randomBytes(CODE_LENGTH)].map((b) => ALPHABET[b & 31]).join('')
}

/** The code as typed, as it was handed out: upper case, without spaces and hyphens; null if it cannot be one. */
export function normaliseCode(typed: string): string | null {
  const code = typed.replace(/[\s-]/g, '').toUpperCase()
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : null
}

/** What is stored instead of the code. */
export function codeHash(code: string): string {
  return createHash('sha256').update(code).digest('hex')
}
