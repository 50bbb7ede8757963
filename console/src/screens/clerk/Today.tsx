import { useQueries } from '@tanstack/react-query'
import { Space, Typography } from 'antd'
import { useState } from 'react'
import { useT } from '../../i18n'
import { api } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { type Redemption, Redemptions } from '../shared/redemptions'

/** The date part of now in the browser's zone (the office's), as the API writes dates. */
export function todayIso(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`
}

/** Today's redemptions at this office: reserved, handed out or cancelled today (newest 200 read). */
export default function Today() {
  const t = useT()
  const { workspace } = useWorkspace()
  const [today] = useState(todayIso)
  const [ids, setIds] = useState<string[]>([])
  const names = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['member', id],
      queryFn: async () => (await api.GET('/api/v1/members/{id}', { params: { path: { id } } })).data,
      staleTime: 5 * 60_000,
    })),
  })
  const nameOf = (id: string) => names.find((n) => n.data?.id === id)?.data?.name ?? '…'
  const isToday = (r: Redemption) =>
    [r.createdAt, r.fulfilledAt, r.cancelledAt].some((at) => at?.startsWith(today) === true)
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.clerk.today')} · {today}
      </Typography.Title>
      <Redemptions
        query={{ orgUnitId: workspace.orgUnitId }}
        canFulfil
        filter={(r) => {
          const keep = isToday(r)
          if (keep && !ids.includes(r.memberId))
            queueMicrotask(() => setIds((s) => (s.includes(r.memberId) ? s : [...s, r.memberId])))
          return keep
        }}
        showMember={nameOf}
      />
    </Space>
  )
}
