import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Modal, Select, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { enumValues } from '../../lib/enums'
import { useWorkspace } from '../../lib/session'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'

type Request = ItemOf<'listServiceRequests'>
type Status = Request['status']
const all = enumValues<Status>()
/** Every state of the API's enum (the compiler checks the list against it), in a request's order of life. */
const STATUSES = all(['open', 'published', 'dispatched', 'accepted', 'completed', 'confirmed', 'cancelled'])

async function list(orgUnitId: string, status: Status | undefined) {
  return (
    await api.GET('/api/v1/service-requests', {
      params: { query: { orgUnitId, limit: 100, ...(status ? { status } : {}) } },
    })
  ).data
}

/** 派单: service requests of the unit; an open one is dispatched to a member or a team, or published to the board. */
export default function Requests() {
  const t = useT()
  const { workspace } = useWorkspace()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const qc = useQueryClient()
  const [status, setStatus] = useState<Status | undefined>('open')
  const [dispatching, setDispatching] = useState<Request | null>(null)
  const [to, setTo] = useState<string | null>(null)
  const [q, setQ] = useState('')
  const requests = useQuery({
    queryKey: ['service-requests', workspace.orgUnitId, status],
    queryFn: () => list(workspace.orgUnitId, status),
  })
  const members = useQuery({
    queryKey: ['member-search', q],
    queryFn: async () =>
      (await api.GET('/api/v1/members', { params: { query: { q, limit: 20 } } })).data.items,
    enabled: dispatching !== null && q.length > 0,
  })
  const teams = useQuery({
    queryKey: ['teams', workspace.orgUnitId],
    queryFn: async () => (await api.GET('/api/v1/teams', { params: { query: { limit: 100 } } })).data.items,
    enabled: dispatching !== null,
  })
  const refresh = () => qc.invalidateQueries({ queryKey: ['service-requests'] })
  const dispatch = useMutation({
    mutationFn: async () => {
      const [kind, id] = (to ?? '').split(':') as ['member' | 'team', string]
      await api.POST('/api/v1/service-requests/{id}/dispatch', {
        params: { path: { id: dispatching!.id } },
        body: kind === 'team' ? { teamId: id } : { memberId: id },
      })
    },
    onSuccess: async () => {
      message.success(t('common.done'))
      setDispatching(null)
      setTo(null)
      await refresh()
    },
    onError: notifyError,
  })
  const publish = useMutation({
    mutationFn: async (r: Request) =>
      r.status === 'published'
        ? api.POST('/api/v1/service-requests/{id}/unpublish', { params: { path: { id: r.id } } })
        : api.POST('/api/v1/service-requests/{id}/publish', { params: { path: { id: r.id } } }),
    onSuccess: refresh,
    onError: notifyError,
  })
  const options = [
    ...(teams.data ?? []).map((tm) => ({
      value: `team:${tm.id}`,
      label: `${t('requests.team')} · ${tm.name}`,
    })),
    ...(members.data ?? []).map((m) => ({ value: `member:${m.id}`, label: `${m.name} ${m.phone ?? ''}` })),
  ]
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.grid.requests')}
      </Typography.Title>
      <Select<Status | 'all'>
        aria-label={t('common.status')}
        style={{ width: 160 }}
        value={status ?? 'all'}
        onChange={(v) => setStatus(v === 'all' ? undefined : v)}
        options={[
          { value: 'all', label: t('requests.all') },
          ...STATUSES.map((s) => ({ value: s, label: labelOf(t, 'request.status', s) })),
        ]}
      />
      <ApiError error={requests.error} />
      <Table<Request>
        size="small"
        rowKey="id"
        loading={requests.isLoading}
        dataSource={requests.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 640 }}
        locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('requests.title'), dataIndex: 'title' },
          { title: t('requests.requester'), dataIndex: 'requesterName' },
          {
            title: t('requests.kind'),
            dataIndex: 'kind',
            render: (k: string) => labelOf(t, 'request.kind', k),
          },
          {
            title: t('common.status'),
            dataIndex: 'status',
            render: (s: string, r: Request) => (
              <Space size={4} wrap>
                <Tag>{labelOf(t, 'request.status', s)}</Tag>
                {r.memberName ?? r.teamName ?? ''}
              </Space>
            ),
          },
          { title: t('common.time'), dataIndex: 'createdAt', render: formatInstant },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r: Request) =>
              r.status === 'open' || r.status === 'published' ? (
                <Space>
                  {r.status === 'open' ? (
                    <Button size="small" type="primary" onClick={() => setDispatching(r)}>
                      {t('requests.dispatch')}
                    </Button>
                  ) : null}
                  <Button
                    size="small"
                    loading={publish.isPending && publish.variables?.id === r.id}
                    onClick={() => publish.mutate(r)}
                  >
                    {r.status === 'published' ? t('requests.unpublish') : t('requests.publish')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <Modal
        open={dispatching !== null}
        title={t('requests.dispatchTitle', { title: dispatching?.title ?? '' })}
        okText={t('requests.dispatch')}
        cancelText={t('common.cancel')}
        okButtonProps={{ disabled: !to }}
        confirmLoading={dispatch.isPending}
        onOk={() => dispatch.mutate()}
        onCancel={() => setDispatching(null)}
      >
        <Select
          aria-label={t('requests.to')}
          placeholder={t('requests.to')}
          style={{ width: '100%' }}
          showSearch
          filterOption={false}
          onSearch={setQ}
          value={to}
          onChange={setTo}
          options={options}
          loading={members.isFetching}
        />
      </Modal>
    </Space>
  )
}
