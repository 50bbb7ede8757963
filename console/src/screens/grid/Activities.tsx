import { useQuery } from '@tanstack/react-query'
import { Button, Segmented, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { api } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, formatInstant } from '../../lib/ui'

type Activity = Awaited<ReturnType<typeof list>>['items'][number]

async function list(orgUnitId: string, status: 'open' | 'verified') {
  return (await api.GET('/api/v1/activities', { params: { query: { orgUnitId, status, limit: 100 } } })).data
}

/** Activities of the grid worker's units; an open one shows its rotating check-in code at the door. */
export default function GridActivities() {
  const t = useT()
  const navigate = useNavigate()
  const { workspace } = useWorkspace()
  const [status, setStatus] = useState<'open' | 'verified'>('open')
  const activities = useQuery({
    queryKey: ['activities', workspace.orgUnitId, status],
    queryFn: () => list(workspace.orgUnitId, status),
  })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.grid.activities')}
      </Typography.Title>
      <Segmented<'open' | 'verified'>
        value={status}
        onChange={setStatus}
        options={[
          { value: 'open', label: labelOf(t, 'activity.status', 'open') },
          { value: 'verified', label: labelOf(t, 'activity.status', 'verified') },
        ]}
      />
      <ApiError error={activities.error} />
      <Table<Activity>
        size="small"
        rowKey="id"
        loading={activities.isLoading}
        dataSource={activities.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 640 }}
        locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('activity.title'), dataIndex: 'title' },
          { title: t('activity.startsAt'), dataIndex: 'startsAt', render: formatInstant },
          { title: t('activity.location'), dataIndex: 'location', render: (v: string | null) => v ?? '—' },
          { title: t('activity.participants'), dataIndex: 'participantCount', align: 'right' },
          {
            title: t('activity.totalHours'),
            dataIndex: 'totalHours',
            align: 'right',
            render: (v: string) => <Amount value={v} />,
          },
          {
            title: t('common.status'),
            dataIndex: 'status',
            render: (s: string) => (
              <Tag color={s === 'open' ? 'blue' : 'green'}>{labelOf(t, 'activity.status', s)}</Tag>
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, a: Activity) =>
              a.status === 'open' ? (
                <Button size="small" type="primary" onClick={() => navigate(`/grid/activities/${a.id}/code`)}>
                  {t('nav.grid.code')}
                </Button>
              ) : null,
          },
        ]}
      />
    </Space>
  )
}
