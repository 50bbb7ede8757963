import { Button, Card, Form, Input, Typography } from 'antd'
import { useState } from 'react'
import { Navigate, useNavigate } from 'react-router'
import { useLang, useT } from '../i18n'
import { messageOf } from '../lib/problems'
import { useSession } from '../lib/session'
import { ApiError } from '../lib/ui'

export default function Login() {
  const { state, login } = useSession()
  const { lang, setLang } = useLang()
  const t = useT()
  const navigate = useNavigate()
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  if (state.status === 'signedIn') return <Navigate to="/" replace />

  return (
    <main className="vp-login">
      <Card style={{ width: '100%', maxWidth: 380 }}>
        <Typography.Title level={1} style={{ fontSize: 22 }}>
          {t('app.title')}
        </Typography.Title>
        <Typography.Title level={2} style={{ fontSize: 16, marginTop: 0 }}>
          {t('login.title')}
        </Typography.Title>
        <Form
          layout="vertical"
          requiredMark={false}
          onFinish={async (values: { username: string; password: string }) => {
            setBusy(true)
            setError(null)
            try {
              await login(values.username.trim(), values.password)
              navigate('/', { replace: true })
            } catch (e) {
              setError(e)
            } finally {
              setBusy(false)
            }
          }}
        >
          <Form.Item
            label={t('login.username')}
            name="username"
            rules={[{ required: true, message: t('login.required', { field: t('login.username') }) }]}
          >
            <Input autoComplete="username" autoCapitalize="none" />
          </Form.Item>
          <Form.Item
            label={t('login.password')}
            name="password"
            rules={[{ required: true, message: t('login.required', { field: t('login.password') }) }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {error ? (
            <div style={{ marginBottom: 16 }} data-testid="login-error" title={messageOf(error, lang)}>
              <ApiError error={error} />
            </div>
          ) : null}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
          {t('login.demo')}
        </Typography.Paragraph>
        <Button
          type="link"
          onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
          lang={lang === 'zh' ? 'en' : 'zh-CN'}
        >
          {t('shell.language')}
        </Button>
      </Card>
    </main>
  )
}
