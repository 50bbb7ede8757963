import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

/**
 * 签到码: the short code (and its QR payload) shown at an activity's door, TOTP-like (RFC 6238 with the activity in
 * the message): code = HMAC-SHA256(key, activityId || timeStep) truncated as RFC 4226 does to 6 digits, with a
 * 60-second step. Nothing is stored: any process computes the same code from the same key and clock, and a code
 * is accepted during its own step and the next one (the door's phone and the member's may be a step apart), so a
 * code lives at most two minutes and a photo sent to a friend stops working soon after.
 *
 * The key is derived with HKDF-SHA256 from the server's JWT secret (JWT_SECRET, which every process of a
 * deployment shares) under a fixed label, so it is shared too and is never the signing key itself.
 */
export const CHECK_IN_STEP_SECONDS = 60
export const CHECK_IN_CODE_DIGITS = 6
/** How many steps back a code is still accepted (the current step and the previous one). */
export const CHECK_IN_ACCEPTED_PAST_STEPS = 1
const HKDF_LABEL = 'volunteer-points/activity-check-in-codes/v1'

export function checkInKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, Buffer.alloc(0), HKDF_LABEL, 32))
}

export function timeStepAt(ms: number): number {
  return Math.floor(ms / 1000 / CHECK_IN_STEP_SECONDS)
}

/** The code of an activity at a time step: 6 decimal digits, leading zeros kept. */
export function checkInCodeAt(key: Buffer, activityId: string, step: number): string {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha256', key).update(activityId.toLowerCase()).update(counter).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const bin = mac.readUInt32BE(offset) & 0x7fffffff
  return String(bin % 10 ** CHECK_IN_CODE_DIGITS).padStart(CHECK_IN_CODE_DIGITS, '0')
}

/** What a phone app scans: the scheme, the activity and the code. */
export function checkInQrPayload(activityId: string, code: string): string {
  return `vp-checkin:${activityId}:${code}`
}

/** Accepts the code alone or the whole QR payload of this activity (an app may send what it scanned). */
function codeOf(activityId: string, input: string): string {
  const text = input.trim()
  const prefix = `vp-checkin:${activityId.toLowerCase()}:`
  return text.toLowerCase().startsWith(prefix) ? text.slice(prefix.length) : text
}

/** Issues and checks the codes on one key and one clock (the tests move the clock). */
export class CheckInCodes {
  constructor(
    private readonly key: Buffer,
    readonly clock: () => number = Date.now,
  ) {}

  issue(activityId: string) {
    const step = timeStepAt(this.clock())
    const code = checkInCodeAt(this.key, activityId, step)
    const stepMs = CHECK_IN_STEP_SECONDS * 1000
    return {
      code,
      qrPayload: checkInQrPayload(activityId, code),
      validFrom: new Date(step * stepMs),
      // Accepted through the next step too.
      expiresAt: new Date((step + 1 + CHECK_IN_ACCEPTED_PAST_STEPS) * stepMs),
      stepSeconds: CHECK_IN_STEP_SECONDS,
    }
  }

  /** Whether `input` is the activity's code of the current step or of the previous one (constant time). */
  accepts(activityId: string, input: string): boolean {
    const given = Buffer.from(codeOf(activityId, input))
    const now = timeStepAt(this.clock())
    let ok = false
    for (let back = 0; back <= CHECK_IN_ACCEPTED_PAST_STEPS; back++) {
      const expected = Buffer.from(checkInCodeAt(this.key, activityId, now - back))
      if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true
    }
    return ok
  }
}
