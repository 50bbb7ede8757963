import { useQuery } from '@tanstack/react-query'
import { Button, Space, Typography } from 'antd'
import { useNavigate, useParams } from 'react-router'
import { useT } from '../../i18n'
import { api } from '../../lib/api'
import { useSession } from '../../lib/session'
import { ApiError, formatInstant } from '../../lib/ui'
import { QrCode } from '../shared/qr'

/**
 * The door screen (签到码): the activity's rotating six-digit code and its QR, asked for again every step (60 s)
 * and shown full-screen. Nothing is stored: the server derives the code from the activity and the minute.
 */
export default function CheckInCode() {
  const t = useT()
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const { state } = useSession()
  const activity = useQuery({
    queryKey: ['activity', id],
    queryFn: async () => (await api.GET('/api/v1/activities/{id}', { params: { path: { id } } })).data,
    enabled: state.status === 'signedIn',
  })
  const code = useQuery({
    queryKey: ['check-in-code', id],
    queryFn: async () =>
      (await api.POST('/api/v1/activities/{id}/check-in-codes', { params: { path: { id } } })).data,
    enabled: state.status === 'signedIn',
    // Ask again when this code's step ends (its own stepSeconds), else every 30 s.
    refetchInterval: (q) => {
      const data = q.state.data
      if (!data) return 30_000
      const left = new Date(data.validFrom).getTime() + data.stepSeconds * 1000 - Date.now()
      return Math.max(5_000, Math.min(left + 500, data.stepSeconds * 1000))
    },
    refetchIntervalInBackground: true,
    retry: 1,
  })
  if (state.status === 'signedOut') {
    navigate('/login')
    return null
  }
  return (
    <main className="vp-code">
      <Typography.Title level={1} style={{ fontSize: 28, margin: 0 }}>
        {activity.data?.title ?? '…'}
      </Typography.Title>
      <ApiError error={code.error ?? activity.error} />
      {code.data ? (
        <>
          <div className="vp-code-digits" data-testid="check-in-code" aria-live="polite">
            {code.data.code}
          </div>
          <QrCode text={code.data.qrPayload} size={260} label={t('code.checkInQr')} />
          <Typography.Text type="secondary">
            {t('code.validUntil', { at: formatInstant(code.data.expiresAt) })}
          </Typography.Text>
        </>
      ) : null}
      <Space>
        <Button onClick={() => void document.documentElement.requestFullscreen?.().catch(() => {})}>
          {t('code.fullscreen')}
        </Button>
        <Button onClick={() => navigate('/grid')}>{t('common.back')}</Button>
      </Space>
    </main>
  )
}
