/**
 * Who is signed in and as whom they act. A user may hold several grants (role on a unit); each is a
 * workspace, and a user with a member record (王芳, a secretary who is also a member of her branch) also gets the
 * member workspace. The switch in the header picks one; it only chooses screens and default units: the API
 * decides every call by all the user's grants.
 */
import { useQueryClient } from '@tanstack/react-query'
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react'
import { type Me, onSessionChange, restoreSession, signIn, signOut } from './api'

export type WorkspaceRole = Me['roles'][number]['role']

export interface Workspace {
  /** Stable key: the grant id, or 'member' for the member record without a member grant. */
  key: string
  role: WorkspaceRole
  orgUnitId: string
}

/** Order of the default workspace after sign-in: the desk work first. */
const ORDER: WorkspaceRole[] = [
  'secretary',
  'panelist',
  'clerk',
  'grid_worker',
  'admin',
  'member',
  'resident',
]

export function workspacesOf(me: Me): Workspace[] {
  const list: Workspace[] = me.roles
    .filter((g) => g.role !== 'resident')
    .map((g) => ({ key: g.id, role: g.role, orgUnitId: g.orgUnitId }))
  if (me.member && !list.some((w) => w.role === 'member'))
    list.push({ key: 'member', role: 'member', orgUnitId: me.member.orgUnitId })
  return list.sort((a, b) => ORDER.indexOf(a.role) - ORDER.indexOf(b.role))
}

const WORKSPACE_KEY = 'vp.console.workspace'

type State =
  | { status: 'loading' }
  | { status: 'signedOut' }
  | { status: 'signedIn'; me: Me; workspaces: Workspace[]; workspace: Workspace | null }

interface SessionValue {
  state: State
  login(username: string, password: string): Promise<void>
  logout(): Promise<void>
  switchTo(key: string): void
}

const SessionContext = createContext<SessionValue | null>(null)

function pick(me: Me): State {
  const workspaces = workspacesOf(me)
  let saved: string | null = null
  try {
    saved = sessionStorage.getItem(WORKSPACE_KEY)
  } catch {}
  const workspace = workspaces.find((w) => w.key === saved) ?? workspaces[0] ?? null
  return { status: 'signedIn', me, workspaces, workspace }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading' })
  const queryClient = useQueryClient()

  useEffect(() => {
    let live = true
    restoreSession().then((me) => {
      if (live) setState(me ? pick(me) : { status: 'signedOut' })
    })
    const off = onSessionChange((signedIn) => {
      if (!signedIn) {
        queryClient.clear()
        setState({ status: 'signedOut' })
      }
    })
    return () => {
      live = false
      off()
    }
  }, [queryClient])

  const login = useCallback(
    async (username: string, password: string) => {
      const me = await signIn(username, password)
      queryClient.clear()
      try {
        sessionStorage.removeItem(WORKSPACE_KEY)
      } catch {}
      setState(pick(me))
    },
    [queryClient],
  )

  const logout = useCallback(async () => {
    try {
      await signOut()
    } finally {
      queryClient.clear()
      setState({ status: 'signedOut' })
    }
  }, [queryClient])

  const switchTo = useCallback((key: string) => {
    setState((s) => {
      if (s.status !== 'signedIn') return s
      const workspace = s.workspaces.find((w) => w.key === key) ?? s.workspace
      try {
        if (workspace) sessionStorage.setItem(WORKSPACE_KEY, workspace.key)
      } catch {}
      return { ...s, workspace }
    })
  }, [])

  const value = useMemo(() => ({ state, login, logout, switchTo }), [state, login, logout, switchTo])
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext)
  if (!value) throw new Error('useSession outside SessionProvider')
  return value
}

/** The signed-in user and the workspace in use; for screens, which render only when both exist. */
export function useWorkspace(): { me: Me; workspace: Workspace } {
  const { state } = useSession()
  if (state.status !== 'signedIn' || !state.workspace) throw new Error('no workspace')
  return { me: state.me, workspace: state.workspace }
}
