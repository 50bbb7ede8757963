import { Alert, App, Typography } from 'antd'
import { useCallback } from 'react'
import { useLang } from '../i18n'
import { formatDecimal } from './decimal'
import { messageOf } from './problems'

/** An error of a query, as a readable message (never the raw body). */
export function ApiError({ error }: { error: unknown }) {
  const { lang } = useLang()
  if (!error) return null
  return <Alert type="error" showIcon message={messageOf(error, lang)} role="alert" />
}

/** For mutations: `onError: notifyError` shows the message in a toast. */
export function useNotifyError(): (error: unknown) => void {
  const { message } = App.useApp()
  const { lang } = useLang()
  return useCallback((error: unknown) => void message.error(messageOf(error, lang)), [message, lang])
}

/** Points or hours from the API's decimal string; negative amounts in the error colour. */
export function Amount({ value, signed }: { value: string | null | undefined; signed?: boolean }) {
  const text = formatDecimal(value, { signed })
  return (
    <Typography.Text type={text.startsWith('-') ? 'danger' : undefined} className="amount">
      {text}
    </Typography.Text>
  )
}

/** A local date-time (the API answers RFC 3339 in the service zone) as "YYYY-MM-DD HH:mm". */
export function formatInstant(value: string | null | undefined): string {
  if (!value) return '—'
  return value.slice(0, 16).replace('T', ' ')
}
