import { randomBytes } from 'node:crypto'
import type { ServiceRequestStatus } from '../../db/schema/activities'

/** Who may record work, verify it and handle service requests (admin counts as every role). */
export const STAFF = ['secretary', 'grid_worker'] as const

/** The most one service request may count: one request is one visit; a longer job is several requests. */
export const MAX_REQUEST_HOURS_CENTS = 2400

/**
 * Whether a member may serve in a unit: the unit lies on the member's own line of the tree (their home
 * unit, a unit above it, or one below it) or on the line of a community they registered with (双报到).
 * `memberPaths` are the materialised paths of the home unit and of every registration.
 */
export function mayServeIn(unitPath: string, memberPaths: readonly string[]): boolean {
  return memberPaths.some((p) => p.startsWith(unitPath) || unitPath.startsWith(p))
}

/**
 * Steps of the service request state machine: the status each step needs, and the one it leaves. A member of a
 * team a request is dispatched to who declines it leaves it dispatched to the team (no move; see requests.ts).
 * The database holds the same moves (state_move_allowed, src/db/sql/_shared.sql).
 */
export const REQUEST_STEPS = {
  dispatch: { from: ['open'], to: 'dispatched' },
  accept: { from: ['dispatched'], to: 'accepted' },
  decline: { from: ['dispatched'], to: 'open' },
  publish: { from: ['open'], to: 'published' },
  unpublish: { from: ['published'], to: 'open' },
  take: { from: ['published'], to: 'accepted' },
  complete: { from: ['accepted'], to: 'completed' },
  confirm: { from: ['completed'], to: 'confirmed' },
  cancel: { from: ['open', 'published', 'dispatched', 'accepted'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly ServiceRequestStatus[]; to: ServiceRequestStatus }>
export type RequestStep = keyof typeof REQUEST_STEPS

export function canStep(step: RequestStep, status: ServiceRequestStatus): boolean {
  return (REQUEST_STEPS[step].from as readonly ServiceRequestStatus[]).includes(status)
}

// The phone's mask is shared (the redemption counter's lookup shows it too).
export { maskPhone } from '../../shared/mask'

// Crockford base32: no I, L, O, U, so a code read aloud or typed from paper is not misread.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** 130 random bits as 26 Crockford base32 characters: guessing one is impractical (>= 80 bits required). */
export function newVerificationCode(): string {
  const bytes = randomBytes(17)
  let out = ''
  let acc = 0
  let bits = 0
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5 && out.length < 26) {
      bits -= 5
      out += CROCKFORD[(acc >> bits) & 31]
    }
    acc &= (1 << bits) - 1
  }
  return out
}

/** Accepts what a person types: lower case, spaces and hyphens, and the letters Crockford folds (O, I, L). */
export function normaliseVerificationCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
}

/** 志愿服务记录证明 serial: year, issuing unit (its code, else the start of its id), running number. */
export function serialNumber(year: number, unit: { id: string; code: string | null }, seq: number): string {
  const unitPart = unit.code?.trim() || unit.id.replace(/-/g, '').slice(0, 8).toUpperCase()
  return `${year}-${unitPart}-${String(seq).padStart(5, '0')}`
}
