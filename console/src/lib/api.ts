/**
 * The one API client of the console: the repository's typed client (client/src, openapi-fetch over the types
 * generated from openapi/openapi.json), so every path, parameter and answer the console uses is checked by the
 * compiler against the contract; there is no second source of truth.
 *
 * Tokens (see console/README.md, "Sign-in and tokens"):
 * - the access token (15 minutes) lives in memory only;
 * - the refresh token (30 days, single use, rotated on every refresh) is also kept in sessionStorage, so a
 *   reload of the tab stays signed in: on start the console exchanges it for a fresh pair. The API takes the
 *   refresh token in the request body only (POST /api/v1/auth/refresh {refreshToken}); it sets no cookie, so
 *   an httpOnly cookie is not on offer without new server routes. sessionStorage is per tab and is cleared when
 *   the tab closes (localStorage would outlive it on a shared office PC); the console's CSP (script-src 'self')
 *   keeps injected scripts from running, the risk a token readable by scripts carries.
 */
import {
  createVolunteerPointsClient,
  type Me,
  type operations,
  type TokenStore,
  type Tokens,
} from '../../../client/src/index.js'

export type {
  components,
  Me,
  operations,
  paths,
  Tokens,
} from '../../../client/src/index.js'
export { isProblem, ProblemError, ResponseError } from '../../../client/src/index.js'

const REFRESH_KEY = 'vp.console.refresh'

function safeSession(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null
  } catch {
    return null
  }
}

/** Access token in memory; the refresh token mirrored into sessionStorage for a reload. */
function consoleTokenStore(): TokenStore & { restoreRefresh(): string | null } {
  let tokens: Tokens | null = null
  return {
    get: () => tokens,
    set(next) {
      tokens = next
      const storage = safeSession()
      if (!storage) return
      if (next) storage.setItem(REFRESH_KEY, next.refreshToken)
      else storage.removeItem(REFRESH_KEY)
    },
    restoreRefresh: () => safeSession()?.getItem(REFRESH_KEY) ?? null,
  }
}

const store = consoleTokenStore()
const listeners = new Set<(signedIn: boolean) => void>()

export const api = createVolunteerPointsClient({
  baseUrl: globalThis.location?.origin ?? 'http://127.0.0.1:3000',
  tokens: store,
  onTokens: (t) => {
    for (const l of listeners) l(t !== null)
  },
})

/** Hear when the session ends (a refused refresh) or starts. */
export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

let restoring: Promise<Me | null> | null = null

/**
 * After a reload: exchange the kept refresh token for a new pair and read who is signed in. Called once per
 * page (shared promise): a refresh token is single use, and presenting it twice would end the session.
 */
export function restoreSession(): Promise<Me | null> {
  restoring ??= (async () => {
    const refreshToken = store.restoreRefresh()
    if (!refreshToken) return null
    try {
      const { data } = await api.POST('/api/v1/auth/refresh', { body: { refreshToken } })
      store.set({ accessToken: data.accessToken, refreshToken: data.refreshToken })
      return await api.loadMe()
    } catch {
      store.set(null)
      return null
    }
  })()
  return restoring
}

export async function signIn(username: string, password: string): Promise<Me> {
  restoring = Promise.resolve(null)
  return api.login(username, password)
}

export async function signOut(): Promise<void> {
  try {
    await api.logout()
  } finally {
    store.set(null)
  }
}

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never
/** The JSON body of an operation's success answer, by operationId (from the generated types). */
export type AnswerOf<Op extends keyof operations> = JsonOf<
  operations[Op]['responses'] extends infer Rs ? Rs[keyof Rs & (200 | 201)] : never
>
/** One item of a list operation's page. */
export type ItemOf<Op extends keyof operations> = AnswerOf<Op> extends { items: (infer I)[] } ? I : never
