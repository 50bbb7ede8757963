import { useQueries, useQuery } from '@tanstack/react-query'
import { Space, Typography } from 'antd'
import { useMemo, useState } from 'react'
import { useT } from '../../i18n'
import { api, isProblem } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { listRedemptions, type Redemption, Redemptions } from '../shared/redemptions'

/** The date part of now in the browser's zone (the office's), as the API writes dates. */
export function todayIso(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`
}

/** Reserved, handed out or cancelled on `day` (the API writes instants in the service zone). */
export function happenedOn(r: Redemption, day: string): boolean {
  return [r.createdAt, r.fulfilledAt, r.cancelledAt].some((at) => at?.startsWith(day) === true)
}

/**
 * Today's redemptions at this office (among the newest 200: listRedemptions has no date filter). Names come from
 * getMember where the grant reads the roster; a clerk's does not, so theirs show as member codes.
 */
export default function Today() {
  const t = useT()
  const { workspace } = useWorkspace()
  const [today] = useState(todayIso)
  const query = { orgUnitId: workspace.orgUnitId }
  // The same query (and cache entry) as the table below: one request.
  const list = useQuery({ queryKey: ['redemptions', query], queryFn: () => listRedemptions(query) })
  const ids = useMemo(
    () => [...new Set((list.data?.items ?? []).filter((r) => happenedOn(r, today)).map((r) => r.memberId))],
    [list.data, today],
  )
  const names = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['member', id],
      queryFn: async () => (await api.GET('/api/v1/members/{id}', { params: { path: { id } } })).data,
      staleTime: 5 * 60_000,
      retry: (n: number, e: unknown) => !isProblem(e) && n < 1,
    })),
  })
  const nameOf = (id: string) =>
    names.find((n) => n.data?.id === id)?.data?.name ?? t('counter.byCode', { tail: id.slice(-6) })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.clerk.today')} · {today}
      </Typography.Title>
      <Redemptions query={query} canFulfil filter={(r) => happenedOn(r, today)} showMember={nameOf} />
    </Space>
  )
}
