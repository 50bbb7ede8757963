import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { App as AntApp, ConfigProvider } from 'antd'
import enUS from 'antd/locale/en_US'
import zhCN from 'antd/locale/zh_CN'
import { lazy, StrictMode, Suspense } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { LangProvider, useLang, useT } from './i18n'
import { isProblem } from './lib/api'
import { SessionProvider, useSession } from './lib/session'
import { homeOf, SCREENS } from './screens/registry'
import { Shell } from './shell/Shell'
import './styles.css'

// The sign-in form (antd Form and its validator) is its own chunk: a reload of a signed-in tab never loads it.
const Login = lazy(() => import('./shell/Login'))

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // A problem answer (404, 403, 422 ...) will answer the same again; only network trouble is retried.
      retry: (count, error) => !isProblem(error) && count < 2,
    },
  },
})

function Home() {
  const { state } = useSession()
  if (state.status === 'signedOut') return <Navigate to="/login" replace />
  if (state.status === 'signedIn' && state.workspace)
    return <Navigate to={homeOf(state.workspace.role)} replace />
  return <Shell />
}

function NotFound() {
  const t = useT()
  return <p>{t('common.notFound')}</p>
}

function Themed() {
  const { lang } = useLang()
  const bare = SCREENS.filter((s) => s.bare)
  return (
    <ConfigProvider
      locale={lang === 'zh' ? zhCN : enUS}
      theme={{
        // Party red; secondary text and links dark enough for WCAG AA contrast (axe runs on every screen).
        token: {
          colorPrimary: '#b5121b',
          colorLink: '#a8071a',
          colorError: '#cf1322',
          colorTextDescription: 'rgba(0, 0, 0, 0.65)',
          colorTextTertiary: 'rgba(0, 0, 0, 0.62)',
          borderRadius: 6,
        },
      }}
    >
      <AntApp>
        <BrowserRouter basename="/console">
          <Routes>
            <Route
              path="/login"
              element={
                <Suspense fallback={null}>
                  <Login />
                </Suspense>
              }
            />
            <Route path="/" element={<Home />} />
            {bare.map((s) => (
              <Route key={s.path} path={`/${s.path}`} element={<s.component />} />
            ))}
            <Route element={<Shell />}>
              {SCREENS.filter((s) => !s.bare).map((s) => (
                <Route key={s.path} path={`/${s.path}`} element={<s.component />} />
              ))}
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  )
}

/**
 * A table wider than a phone scrolls sideways inside antd's .ant-table-content, which keyboard users cannot reach
 * unless it takes focus (axe: scrollable-region-focusable). Every such region gets tabindex=0, for every table
 * of every screen, as they appear.
 */
function focusableScrollRegions(root: HTMLElement) {
  const mark = () => {
    for (const el of root.querySelectorAll<HTMLElement>('.ant-table-content:not([tabindex])')) {
      el.tabIndex = 0
    }
  }
  new MutationObserver(mark).observe(root, { childList: true, subtree: true })
  mark()
}

const rootElement = document.getElementById('root')!
focusableScrollRegions(rootElement)
createRoot(rootElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <LangProvider>
        <SessionProvider>
          <Themed />
        </SessionProvider>
      </LangProvider>
    </QueryClientProvider>
  </StrictMode>,
)
