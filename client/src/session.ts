import type { operations } from './schema.js'

/** The token pair a login or a refresh gives. */
export interface Tokens {
  accessToken: string
  refreshToken: string
}

/** Where the client keeps the tokens: in memory by default; pass your own to keep them elsewhere. */
export interface TokenStore {
  get(): Tokens | null
  set(tokens: Tokens | null): void
}

export function memoryTokenStore(initial: Tokens | null = null): TokenStore {
  let tokens = initial
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next
    },
  }
}

export type Fetch = (request: Request) => Promise<Response>

type RefreshAnswer = operations['refreshToken']['responses'][200]['content']['application/json']

// Login and refresh carry no access token and a 401 from them is final.
const SESSIONLESS = /\/api\/v1\/auth\/(?:login|refresh)$/
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * The session: the token pair and the fetch the openapi-fetch client sends through. Each request is sent as a
 * clone, so its body can be sent again:
 * - with `Authorization: Bearer <access token>` unless the caller set one;
 * - on a 401 to a request that carried the stored access token, the refresh token is exchanged once (requests
 *   that fail together share that one exchange, since a refresh token is single use and presenting it twice
 *   ends the session) and the request is sent once more with the new token; a second 401 is the answer;
 * - on a network failure (fetch rejects with a TypeError) a request that is safe to repeat (GET, HEAD,
 *   OPTIONS, or one carrying an Idempotency-Key, which it keeps) is sent once more.
 */
export function createSession(opts: {
  baseUrl: string
  fetch?: Fetch
  store: TokenStore
  onTokens?: (tokens: Tokens | null) => void
}) {
  const { store, onTokens } = opts
  const baseUrl = opts.baseUrl.replace(/\/+$/, '')
  const send: Fetch = (request) => (opts.fetch ?? globalThis.fetch)(request)
  let refreshing: Promise<Tokens | null> | null = null

  function save(tokens: Tokens | null): void {
    store.set(tokens)
    onTokens?.(tokens)
  }

  async function exchange(current: Tokens): Promise<Tokens | null> {
    const response = await send(
      new Request(`${baseUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      }),
    )
    const stillCurrent = store.get()?.refreshToken === current.refreshToken
    if (!response.ok) {
      await response.body?.cancel()
      // 401: the refresh token is spent, expired or revoked; the session is over. Anything else (429, 503)
      // leaves the pair for a later try.
      if (response.status === 401 && stillCurrent) save(null)
      return null
    }
    const answer = (await response.json()) as RefreshAnswer
    const next = { accessToken: answer.accessToken, refreshToken: answer.refreshToken }
    if (stillCurrent) save(next)
    return next
  }

  /** New tokens after `used` was refused: someone else's fresh pair if there is one, else one exchange. */
  function refresh(used: Tokens): Promise<Tokens | null> {
    const now = store.get()
    if (!now) return Promise.resolve(null)
    if (now.accessToken !== used.accessToken) return Promise.resolve(now)
    refreshing ??= exchange(now).finally(() => {
      refreshing = null
    })
    return refreshing
  }

  async function transport(request: Request): Promise<Response> {
    const sessionless = SESSIONLESS.test(new URL(request.url).pathname)
    const ours = !sessionless && !request.headers.has('authorization')
    const repeatable = SAFE.has(request.method) || request.headers.has('idempotency-key')

    const attempt = (tokens: Tokens | null): Promise<Response> => {
      const copy = request.clone()
      if (ours && tokens) copy.headers.set('authorization', `Bearer ${tokens.accessToken}`)
      return send(copy)
    }
    const attemptTwiceIfRepeatable = async (tokens: Tokens | null): Promise<Response> => {
      try {
        return await attempt(tokens)
      } catch (error) {
        if (!repeatable || !(error instanceof TypeError) || request.signal?.aborted) throw error
        return attempt(tokens)
      }
    }

    const used = ours ? store.get() : null
    const response = await attemptTwiceIfRepeatable(used)
    if (response.status !== 401 || !used) return response
    const fresh = await refresh(used)
    if (!fresh) return response
    await response.body?.cancel()
    return attemptTwiceIfRepeatable(fresh)
  }

  return { transport, save, tokens: () => store.get() }
}
