import type { FastifyReply } from 'fastify'
import type { CounterStore, DelayPolicy } from '../../shared/counters'
import { DomainError } from '../../shared/errors'

export interface LoginThrottleSettings {
  /** Login attempts per address and minute (all usernames together); the same budget again for refresh. */
  addressMax: number
  /** Failed logins of an account before delays start (default 5). */
  freeFailures: number
  /** The first delay (default 1 s); it doubles with each further failure. */
  baseDelayMs: number
  /** The longest delay (default 15 min). */
  maxDelayMs: number
  /** How long an address that logged in to an account stays known to it (default 30 days). */
  knownAddressMs: number
  /** An account's failures are forgotten after this long without one (default 1 day). */
  failureMemoryMs: number
}

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottleSettings = {
  addressMax: 100,
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  knownAddressMs: 30 * 86_400_000,
  failureMemoryMs: 86_400_000,
}

const ADDRESS_WINDOW_MS = 60_000

function refuse(reply: FastifyReply, waitMs: number): never {
  const after = Math.max(1, Math.ceil(waitMs / 1000))
  reply.header('retry-after', String(after))
  throw new DomainError('rate_limited', `too many attempts; retry in ${after} s`)
}

/**
 * Login throttling that an attacker cannot turn into a lock-out:
 * - per address, a budget high enough for a community office behind one NAT (addressMax a minute);
 * - per account, growing delays past a few failures (1 s, 2 s, 4 s ... up to maxDelayMs), reset by a success. An
 *   address that logged in to the account before (a known address, remembered knownAddressMs) is judged only by
 *   the failures sent from that address: failures from anywhere else cannot lock the member out, while guesses
 *   from a known address slow down that address just the same.
 * Accounts are keyed by the lower-cased username, whether or not it exists (the answer must not tell).
 * All of it lives in the shared store: every process sees the same counts.
 */
export class LoginThrottle {
  private readonly policy: DelayPolicy

  constructor(
    private readonly store: CounterStore,
    private readonly settings: LoginThrottleSettings,
    private readonly clock: () => number,
  ) {
    this.policy = {
      freeFailures: settings.freeFailures,
      baseMs: settings.baseDelayMs,
      maxMs: settings.maxDelayMs,
      memoryMs: settings.failureMemoryMs,
    }
  }

  /** One attempt of `kind` from an address against its per-address budget; throws 429 past it. */
  async perAddress(kind: 'login' | 'refresh', address: string, reply: FastifyReply): Promise<void> {
    const now = this.clock()
    const [window] = await this.store.add([[`${kind}-ip:${address}`, 1]], ADDRESS_WINDOW_MS, now)
    if (window!.count > this.settings.addressMax) refuse(reply, window!.resetMs - now)
  }

  /** Before the password is checked: throws 429 (with Retry-After) if this attempt must wait. */
  async admit(username: string, address: string, reply: FastifyReply): Promise<void> {
    await this.perAddress('login', address, reply)
    const now = this.clock()
    const account = accountOf(username)
    const known = await this.store.isKnown(account, address, now)
    const waitMs = await this.store.claim(
      known ? laneKey(account, address) : accountKey(account),
      this.policy,
      now,
    )
    if (waitMs > 0) refuse(reply, waitMs)
  }

  /** A wrong username or password: counts for the account and for the account from this address. */
  async failed(username: string, address: string): Promise<void> {
    const account = accountOf(username)
    await this.store.fail([accountKey(account), laneKey(account, address)], this.policy, this.clock())
  }

  /** A login that passed: the account's failures are forgotten and the address becomes known to it. */
  async succeeded(username: string, address: string): Promise<void> {
    const account = accountOf(username)
    const now = this.clock()
    await this.store.clear([accountKey(account), laneKey(account, address)])
    await this.store.remember(account, address, this.settings.knownAddressMs, now)
  }
}

const accountOf = (username: string) => username.toLowerCase()
const accountKey = (account: string) => `a:${account}`
const laneKey = (account: string, address: string) => `a:${account}@${address}`
