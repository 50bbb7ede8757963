import { useQueries } from '@tanstack/react-query'
import { Button, Grid, Layout, Menu, Space, Spin, Typography } from 'antd'
import { lazy, Suspense, useState } from 'react'
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router'
import { useLang, useT } from '../i18n'
import { api } from '../lib/api'
import { useSession } from '../lib/session'
import { homeOf, ROLE_SEGMENT, screensOf } from '../screens/registry'

// Only users with several grants see the switch, only phones the drawer: both load when first shown.
const WorkspaceSwitch = lazy(() => import('./WorkspaceSwitch'))
const Drawer = lazy(() => import('antd/es/drawer'))

/** Unit names of the user's workspaces, for the switch. */
function useUnitNames(ids: string[]): Record<string, string> {
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['org-unit', id],
      queryFn: async () => (await api.GET('/api/v1/org-units/{id}', { params: { path: { id } } })).data,
      staleTime: 10 * 60_000,
    })),
  })
  return Object.fromEntries(results.flatMap((r) => (r.data ? [[r.data.id, r.data.name]] : [])))
}

/** Header, menu and the screen; on a phone the menu opens from a button in a drawer. */
export function Shell() {
  const { state, logout, switchTo } = useSession()
  const { lang, setLang } = useLang()
  const t = useT()
  const navigate = useNavigate()
  const location = useLocation()
  const screens = Grid.useBreakpoint()
  const [drawer, setDrawer] = useState(false)
  const workspaces = state.status === 'signedIn' ? state.workspaces : []
  const names = useUnitNames([...new Set(workspaces.map((w) => w.orgUnitId))])

  if (state.status === 'loading') return <Spin fullscreen tip={t('shell.loading')} />
  if (state.status === 'signedOut')
    return <Navigate to="/login" replace state={{ from: location.pathname }} />
  const { workspace, me } = state
  if (!workspace) {
    return (
      <Layout style={{ minHeight: '100vh', padding: 24 }}>
        <Typography.Paragraph>{t('shell.noWorkspace')}</Typography.Paragraph>
        <Button onClick={() => void logout()}>{t('shell.logout')}</Button>
      </Layout>
    )
  }
  const segment = ROLE_SEGMENT[workspace.role]
  // A screen of another role (a bookmark, the switch): go to this role's home.
  const first = location.pathname.split('/')[1] ?? ''
  if (first !== segment) return <Navigate to={homeOf(workspace.role)} replace />

  const items = screensOf(workspace.role)
    .filter((s) => !s.hidden)
    .map((s) => ({ key: `/${s.path}`, label: t(s.label) }))
  const selected = items
    .map((i) => i.key)
    .filter((k) => location.pathname === k || location.pathname.startsWith(`${k}/`))
    .sort((a, b) => b.length - a.length)[0]
  const menu = (
    <Menu
      mode="inline"
      items={items}
      selectedKeys={selected ? [selected] : []}
      onClick={({ key }) => {
        setDrawer(false)
        navigate(key)
      }}
    />
  )
  const wide = screens.md !== false
  const label = (w: (typeof workspaces)[number]) => `${t(`role.${w.role}`)} · ${names[w.orgUnitId] ?? '…'}`

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="vp-header">
        <Space size="small" wrap={false} style={{ minWidth: 0 }}>
          {!wide && (
            <Button aria-label={t('shell.menu')} onClick={() => setDrawer(true)}>
              ☰
            </Button>
          )}
          <Typography.Text strong className="vp-title">
            {t('app.title')} · {t('app.console')}
          </Typography.Text>
        </Space>
        <Space size="small" wrap>
          {workspaces.length > 1 ? (
            <Suspense fallback={<Typography.Text className="vp-who">{label(workspace)}</Typography.Text>}>
              <WorkspaceSwitch
                value={workspace.key}
                options={workspaces.map((w) => ({ value: w.key, label: label(w) }))}
                onChange={(key) => {
                  switchTo(key)
                  const next = workspaces.find((w) => w.key === key)
                  if (next) navigate(homeOf(next.role))
                }}
              />
            </Suspense>
          ) : (
            <Typography.Text className="vp-who">{label(workspace)}</Typography.Text>
          )}
          <Typography.Text className="vp-who">{me.member?.name ?? me.user.username}</Typography.Text>
          <Button
            size="small"
            onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
            lang={lang === 'zh' ? 'en' : 'zh-CN'}
          >
            {t('shell.language')}
          </Button>
          <Button
            size="small"
            onClick={() => {
              void logout().then(() => navigate('/login'))
            }}
          >
            {t('shell.logout')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        {wide && (
          <Layout.Sider width={200} theme="light" aria-label={t('shell.menu')}>
            <nav>{menu}</nav>
          </Layout.Sider>
        )}
        <Drawer
          open={drawer && !wide}
          onClose={() => setDrawer(false)}
          placement="left"
          width={240}
          title={t('shell.menu')}
        >
          <nav>{menu}</nav>
        </Drawer>
        <Layout.Content className="vp-content">
          <main>
            <Suspense
              fallback={
                <Spin tip={t('shell.loading')}>
                  <div style={{ height: 120 }} />
                </Spin>
              }
            >
              <Outlet />
            </Suspense>
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  )
}
