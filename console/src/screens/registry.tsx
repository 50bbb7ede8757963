/**
 * Every screen of the console, by workspace role. To add one: write screens/<role>/<Name>.tsx with a default
 * export, add a line here (path under the role, the menu label's i18n key), and its words to i18n/<area>.ts.
 * Screens are loaded lazily (one chunk each, fetched when first opened), so a member's first screen does not
 * carry the staff screens: scripts/console-budget.mjs weighs it. The first screen of a role is its home.
 */
import { type ComponentType, type LazyExoticComponent, lazy } from 'react'
import type { TKey } from '../i18n'
import type { WorkspaceRole } from '../lib/session'

export interface ScreenDef {
  /** Path under /console/, starting with the role's segment. */
  path: string
  role: WorkspaceRole
  /** The menu label; screens with `hidden` are reached from other screens only. */
  label: TKey
  hidden?: boolean
  /** Shown without the side menu and header (the check-in code at the door). */
  bare?: boolean
  component: LazyExoticComponent<ComponentType>
}

export const ROLE_SEGMENT: Record<WorkspaceRole, string> = {
  admin: 'admin',
  secretary: 'secretary',
  panelist: 'panelist',
  grid_worker: 'grid',
  clerk: 'clerk',
  member: 'member',
  resident: 'resident',
}

export const SCREENS: ScreenDef[] = [
  // 党员
  {
    path: 'member',
    role: 'member',
    label: 'nav.member.home',
    component: lazy(() => import('./member/Home')),
  },
  {
    path: 'member/ledger',
    role: 'member',
    label: 'nav.member.ledger',
    component: lazy(() => import('./member/Ledger')),
  },
  {
    path: 'member/rewards',
    role: 'member',
    label: 'nav.member.rewards',
    component: lazy(() => import('./member/Rewards')),
  },
  {
    path: 'member/activities',
    role: 'member',
    label: 'nav.member.activities',
    component: lazy(() => import('./member/Activities')),
  },
  {
    path: 'member/standing',
    role: 'member',
    label: 'nav.member.standing',
    component: lazy(() => import('./member/Standing')),
  },
  {
    path: 'member/publicity',
    role: 'member',
    label: 'nav.member.publicity',
    component: lazy(() => import('./member/Publicity')),
  },
  {
    path: 'member/code',
    role: 'member',
    label: 'nav.member.code',
    component: lazy(() => import('./member/MemberCode')),
  },
  // 社区工作人员
  {
    path: 'clerk',
    role: 'clerk',
    label: 'nav.clerk.counter',
    component: lazy(() => import('./clerk/Counter')),
  },
  {
    path: 'clerk/catalogue',
    role: 'clerk',
    label: 'nav.clerk.catalogue',
    component: lazy(() => import('./clerk/Catalogue')),
  },
  {
    path: 'clerk/today',
    role: 'clerk',
    label: 'nav.clerk.today',
    component: lazy(() => import('./clerk/Today')),
  },
  // 网格员
  {
    path: 'grid',
    role: 'grid_worker',
    label: 'nav.grid.activities',
    component: lazy(() => import('./grid/Activities')),
  },
  {
    path: 'grid/requests',
    role: 'grid_worker',
    label: 'nav.grid.requests',
    component: lazy(() => import('./grid/Requests')),
  },
  {
    path: 'grid/activities/:id/code',
    role: 'grid_worker',
    label: 'nav.grid.code',
    hidden: true,
    bare: true,
    component: lazy(() => import('./grid/CheckInCode')),
  },
  // 党支部书记 (the first is the home: what waits)
  {
    path: 'secretary',
    role: 'secretary',
    label: 'nav.secretary.home',
    component: lazy(() => import('./secretary/Home')),
  },
  {
    path: 'secretary/activities',
    role: 'secretary',
    label: 'nav.secretary.activities',
    component: lazy(() => import('./secretary/Activities')),
  },
  {
    path: 'secretary/activities/:id',
    role: 'secretary',
    label: 'nav.secretary.activities',
    hidden: true,
    component: lazy(() => import('./secretary/ActivityDetail')),
  },
  {
    path: 'secretary/claims',
    role: 'secretary',
    label: 'nav.secretary.claims',
    component: lazy(() => import('./secretary/Claims')),
  },
  {
    path: 'secretary/rounds',
    role: 'secretary',
    label: 'nav.secretary.rounds',
    component: lazy(() => import('./secretary/Rounds')),
  },
  {
    path: 'secretary/rounds/:id',
    role: 'secretary',
    label: 'nav.secretary.rounds',
    hidden: true,
    component: lazy(() => import('./secretary/RoundDetail')),
  },
  {
    path: 'secretary/scoring',
    role: 'secretary',
    label: 'nav.secretary.scoring',
    component: lazy(() => import('./panelist/Queue')),
  },
  {
    path: 'secretary/members',
    role: 'secretary',
    label: 'nav.secretary.members',
    component: lazy(() => import('./secretary/Members')),
  },
  {
    path: 'secretary/rubrics',
    role: 'secretary',
    label: 'nav.secretary.rubrics',
    component: lazy(() => import('./secretary/Rubrics')),
  },
  {
    path: 'secretary/rubrics/:id',
    role: 'secretary',
    label: 'nav.secretary.rubrics',
    hidden: true,
    component: lazy(() => import('./secretary/RubricDetail')),
  },
  {
    path: 'secretary/reports',
    role: 'secretary',
    label: 'nav.secretary.reports',
    component: lazy(() => import('./secretary/Reports')),
  },
  {
    path: 'secretary/ledger',
    role: 'secretary',
    label: 'nav.secretary.ledger',
    component: lazy(() => import('./secretary/Ledger')),
  },
  // 支委
  {
    path: 'panelist',
    role: 'panelist',
    label: 'nav.panelist.queue',
    component: lazy(() => import('./panelist/Queue')),
  },
  { path: 'admin', role: 'admin', label: 'nav.pending', component: lazy(() => import('./shared/Pending')) },
]

export function screensOf(role: WorkspaceRole): ScreenDef[] {
  return SCREENS.filter((s) => s.role === role)
}

export function homeOf(role: WorkspaceRole): string {
  return `/${screensOf(role)[0]?.path ?? ''}`
}
