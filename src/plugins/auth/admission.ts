import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import type { Caller } from '../../shared/authz'
import { DomainError } from '../../shared/errors'
import type { CallerCache } from './caller-cache'
import type { PerCallerLimit } from './per-caller-limit'
import { BEARER, type VerifiedTokens } from './tokens'

/** The `sub` of a bearer token whose signature and claims checked out (null: no or no valid token). */
export const verifiedSubject = Symbol('verifiedSubject')

declare module 'fastify' {
  interface FastifyRequest {
    [verifiedSubject]: string | null
  }
}

/** True when the matched route needs a bearer token: decided on the route (its pattern and config), never the URL. */
export function isProtected(route: { url?: string; config?: { public?: boolean } }): boolean {
  return route.url?.startsWith('/api/v1/') === true && route.config?.public !== true
}

/** onRoute: fails closed, a protected route's handler never runs without a caller, whatever the hooks before it did. */
export function guardProtected(route: RouteOptions): void {
  if (!isProtected(route)) return
  const handler = route.handler
  route.handler = function guarded(request, reply) {
    if (!request.caller) throw new DomainError('unauthorized', 'send Authorization: Bearer <accessToken>')
    return handler.call(this, request, reply)
  }
}

const unauthorized = () => new DomainError('unauthorized', 'the access token is invalid or expired')

function setCaller(request: FastifyRequest, caller: Caller | null): undefined {
  if (!caller) throw unauthorized()
  request.caller = caller
  return undefined
}

/**
 * The onRequest hook: the per-caller budget, then authentication where the route needs it. A callback hook: a
 * member repeating a request with the same token, within the grants' cache time, passes it without a promise
 * (token, budget and caller all come from memory); only a new token or a cache miss waits for the HMAC check or
 * the database.
 */
export function admission(parts: { tokens: VerifiedTokens; limit: PerCallerLimit; callers: CallerCache }) {
  const { tokens, limit, callers } = parts

  /** Undefined when all is done, else the caller's read. */
  function admit(request: FastifyRequest, reply: FastifyReply, subject: string | null, now: number) {
    request[verifiedSubject] = subject
    // Before authentication, so that guessing tokens or hammering without one is limited too.
    limit.admit(subject ?? `ip:${request.ip}`, reply, now)
    // On the matched route, never the raw URL: the router decodes the path (/%61pi/v1/... is /api/v1/...), so
    // a test on request.url could be dodged by spelling the path differently. routeOptions is a getter that
    // builds a new object: read once. Unknown routes (no url) fall to the not-found handler, which answers 404.
    if (!isProtected(request.routeOptions)) return undefined
    if (!subject) {
      // A subject means the header was a well-formed, valid bearer token.
      const header = request.headers.authorization
      if (!header || !BEARER.test(header)) {
        throw new DomainError('unauthorized', 'send Authorization: Bearer <accessToken>')
      }
      throw unauthorized()
    }
    const caller = callers.cached(subject, now)
    if (caller !== undefined) return setCaller(request, caller)
    return callers.load(subject).then((loaded) => setCaller(request, loaded))
  }

  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const now = Date.now()
    const header = request.headers.authorization
    const known = header === undefined ? null : tokens.known(header, now)
    try {
      if (known !== undefined) {
        const pending = admit(request, reply, known, now)
        if (pending === undefined) done()
        else pending.then(() => done(), done)
        return
      }
      tokens
        .verify(header!, () => request.jwtVerify<{ sub: string; exp: number; iat: number }>())
        .then((subject) => admit(request, reply, subject, Date.now()))
        .then(() => done(), done)
    } catch (err) {
      done(err as Error)
    }
  }
}
