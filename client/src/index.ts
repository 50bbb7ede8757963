import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch'
import { type ClientPaths, idempotencyKeys } from './idempotency.js'
import { errorFrom, ProblemError } from './problem.js'
import type { components, operations, paths } from './schema.js'
import { createSession, type Fetch, memoryTokenStore, type TokenStore, type Tokens } from './session.js'

export type { ClientPaths, IdempotentOperationId } from './idempotency.js'
export { IDEMPOTENT_OPERATIONS } from './idempotency.js'
export type { Problem, ProblemCode, ProblemOf } from './problem.js'
export { isProblem, ProblemError, ResponseError } from './problem.js'
export type { components, Fetch, operations, paths, TokenStore, Tokens }
export { memoryTokenStore }

type MeAnswer = operations['getMe']['responses'][200]['content']['application/json']

/** Who is signed in (`GET /api/v1/me`), plus the linked member's id. */
export type Me = MeAnswer & {
  /** `member.id`; reading it on a login with no member record (a staff login) throws. */
  readonly memberId: string
}

export interface VolunteerPointsClientOptions {
  /** Where the service answers, e.g. `http://localhost:3000`. */
  baseUrl: string
  /** The fetch to send with (default: the global fetch). */
  fetch?: Fetch
  /** Where the token pair is kept (default: in memory). */
  tokens?: TokenStore
  /** Called whenever the pair changes: login, refresh, logout, or a refresh refused (null). */
  onTokens?: (tokens: Tokens | null) => void
}

type JsonMedia = 'application/json'
type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch'
type PathsWith<M extends HttpMethod> = {
  [P in keyof ClientPaths]: ClientPaths[P] extends Record<M, Record<string, unknown>> ? P : never
}[keyof ClientPaths]
type OperationOf<P extends keyof ClientPaths, M extends HttpMethod> =
  ClientPaths[P] extends Record<M, infer Op extends Record<string, unknown>> ? Op : never
type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T]
type InitArgs<I> =
  RequiredKeys<I> extends never ? [(I & { [key: string]: unknown })?] : [I & { [key: string]: unknown }]

/**
 * What a call answers: openapi-fetch's result without the error branch, since errors are thrown. `data` is the
 * JSON body; a file (`.csv`, `.pdf`) is read with `parseAs: 'text'`, `'blob'`, `'arrayBuffer'` or `'stream'`.
 */
export type Answer<P extends keyof ClientPaths, M extends HttpMethod, I> = Exclude<
  FetchResponse<OperationOf<P, M>, I, JsonMedia>,
  { error: unknown }
>

/**
 * openapi-fetch's call, typed from the generated `paths`, that throws a ProblemError (or a ResponseError) for
 * any non-2xx answer, so `data` is the success body.
 */
export type Call<M extends HttpMethod> = <
  P extends PathsWith<M>,
  I extends MaybeOptionalInit<Record<M, OperationOf<P, M>>, M>,
>(
  url: P,
  ...init: InitArgs<I>
) => Promise<Answer<P, M, I>>

export interface VolunteerPointsClient {
  GET: Call<'get'>
  POST: Call<'post'>
  PUT: Call<'put'>
  PATCH: Call<'patch'>
  DELETE: Call<'delete'>
  /** The openapi-fetch client underneath: same session and keys, answers `{ data, error }` instead of throwing. */
  client: Client<ClientPaths, JsonMedia>
  /** Logs in, keeps the token pair and reads who you are (`me`). */
  login(username: string, password: string): Promise<Me>
  /** Reads `GET /api/v1/me` again (e.g. after restoring tokens from your own store). */
  loadMe(): Promise<Me>
  /** Ends the session on the server (every refresh token of it) and forgets the tokens. */
  logout(): Promise<void>
  /** Who is signed in; throws before `login` or `loadMe`. */
  readonly me: Me
  /** The current token pair, or null. */
  readonly tokens: Tokens | null
}

function withMemberId(answer: MeAnswer): Me {
  return Object.defineProperty({ ...answer }, 'memberId', {
    enumerable: false,
    get() {
      if (!answer.member) throw new Error(`${answer.user.username} is not linked to a member record`)
      return answer.member.id
    },
  }) as Me
}

type RawCall = (url: string, init?: unknown) => Promise<{ error?: unknown; response: Response }>

function throwing<M extends HttpMethod>(call: RawCall): Call<M> {
  const thrower = async (url: string, init?: unknown) => {
    const answer = await call(url, init)
    if (!answer.response.ok) throw errorFrom(answer.response, answer.error)
    return answer
  }
  return thrower as unknown as Call<M>
}

/**
 * A typed client of the volunteer points API:
 *
 * ```ts
 * const api = createVolunteerPointsClient({ baseUrl: 'http://localhost:3000' })
 * await api.login('demo-member', 'demo-member-pass')
 * const { data } = await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: api.me.memberId } } })
 * ```
 */
export function createVolunteerPointsClient(options: VolunteerPointsClientOptions): VolunteerPointsClient {
  const session = createSession({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    store: options.tokens ?? memoryTokenStore(),
    onTokens: options.onTokens,
  })
  const client = createClient<ClientPaths, JsonMedia>({ baseUrl: options.baseUrl, fetch: session.transport })
  client.use(idempotencyKeys)
  const call = {
    GET: throwing<'get'>(client.GET as RawCall),
    POST: throwing<'post'>(client.POST as RawCall),
    PUT: throwing<'put'>(client.PUT as RawCall),
    PATCH: throwing<'patch'>(client.PATCH as RawCall),
    DELETE: throwing<'delete'>(client.DELETE as RawCall),
  }
  let me: Me | null = null

  async function loadMe(): Promise<Me> {
    const { data } = await call.GET('/api/v1/me')
    me = withMemberId(data)
    return me
  }

  return {
    ...call,
    client,
    async login(username, password) {
      me = null
      const { data } = await call.POST('/api/v1/auth/login', { body: { username, password } })
      session.save({ accessToken: data.accessToken, refreshToken: data.refreshToken })
      return loadMe()
    },
    loadMe,
    async logout() {
      const tokens = session.tokens()
      me = null
      if (!tokens) return
      try {
        await call.POST('/api/v1/auth/logout', { body: { refreshToken: tokens.refreshToken } })
      } catch (error) {
        // A 401 means the session had already ended: that is what logout wanted.
        if (!(error instanceof ProblemError && error.status === 401)) throw error
      } finally {
        session.save(null)
      }
    },
    get me() {
      if (!me) throw new Error('not signed in: call login() (or loadMe() with restored tokens) first')
      return me
    },
    get tokens() {
      return session.tokens()
    },
  }
}
