import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Input, Modal, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api } from '../../lib/api'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { useMemberId } from './Home'

type Activity = Awaited<ReturnType<typeof listOpen>>['items'][number]
type SignUp = Awaited<ReturnType<typeof listMine>>['items'][number]

async function listOpen() {
  return (await api.GET('/api/v1/activities', { params: { query: { status: 'open', limit: 100 } } })).data
}
async function listMine() {
  return (await api.GET('/api/v1/me/sign-ups', { params: { query: { limit: 100 } } })).data
}

/** 报名 and 签到: open activities the member may join, their sign-ups, and check-in or out with the door's code. */
export default function Activities() {
  const t = useT()
  const memberId = useMemberId()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const qc = useQueryClient()
  const [door, setDoor] = useState<{ activity: { id: string; title: string }; kind: 'in' | 'out' } | null>(
    null,
  )
  const [code, setCode] = useState('')
  const open = useQuery({ queryKey: ['activities', 'open'], queryFn: listOpen })
  const mine = useQuery({ queryKey: ['my-sign-ups'], queryFn: listMine })
  const refresh = () => qc.invalidateQueries({ queryKey: ['my-sign-ups'] })
  const signUp = useMutation({
    mutationFn: async (id: string) =>
      (await api.POST('/api/v1/activities/{id}/sign-ups', { params: { path: { id } }, body: {} })).data,
    onSuccess: async (s) => {
      message.success(labelOf(t, 'signUp.status', s.status))
      await refresh()
    },
    onError: notifyError,
  })
  const cancel = useMutation({
    mutationFn: async (id: string) =>
      api.POST('/api/v1/activities/{id}/sign-ups/{memberId}/cancel', {
        params: { path: { id, memberId } },
        body: {},
      }),
    onSuccess: refresh,
    onError: notifyError,
  })
  const check = useMutation({
    mutationFn: async () => {
      if (!door) return
      const path = { params: { path: { id: door.activity.id } }, body: { code: code.trim() } }
      if (door.kind === 'in') await api.POST('/api/v1/activities/{id}/check-ins', path)
      else await api.POST('/api/v1/activities/{id}/check-outs', path)
    },
    onSuccess: () => {
      message.success(door?.kind === 'in' ? t('activity.checkedIn') : t('activity.checkedOut'))
      setDoor(null)
      setCode('')
    },
    onError: notifyError,
  })
  const signedUp = new Map(
    (mine.data?.items ?? []).filter((s) => s.status !== 'cancelled').map((s) => [s.activityId, s]),
  )
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.member.activities')}
      </Typography.Title>
      <ApiError error={open.error ?? mine.error} />
      <Table<Activity>
        size="small"
        rowKey="id"
        loading={open.isLoading}
        dataSource={open.data?.items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 600 }}
        locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('activity.title'), dataIndex: 'title' },
          { title: t('activity.startsAt'), dataIndex: 'startsAt', render: formatInstant },
          { title: t('activity.location'), dataIndex: 'location', render: (v: string | null) => v ?? '—' },
          {
            title: t('activity.places'),
            key: 'places',
            render: (_: unknown, a: Activity) =>
              a.capacity ? `${a.confirmedCount}/${a.capacity}` : a.confirmedCount,
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, a: Activity) => {
              const s = signedUp.get(a.id)
              return (
                <Space wrap>
                  {s ? (
                    <Tag color={s.status === 'confirmed' ? 'green' : 'orange'}>
                      {labelOf(t, 'signUp.status', s.status)}
                      {s.position ? ` #${s.position}` : ''}
                    </Tag>
                  ) : (
                    <Button
                      size="small"
                      type="primary"
                      loading={signUp.isPending && signUp.variables === a.id}
                      onClick={() => signUp.mutate(a.id)}
                    >
                      {t('activity.signUp')}
                    </Button>
                  )}
                  {s ? (
                    <Button size="small" onClick={() => cancel.mutate(a.id)}>
                      {t('activity.cancelSignUp')}
                    </Button>
                  ) : null}
                  <Button size="small" onClick={() => setDoor({ activity: a, kind: 'in' })}>
                    {t('activity.checkIn')}
                  </Button>
                  <Button size="small" onClick={() => setDoor({ activity: a, kind: 'out' })}>
                    {t('activity.checkOut')}
                  </Button>
                </Space>
              )
            },
          },
        ]}
      />
      <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>
        {t('activity.mine')}
      </Typography.Title>
      <Table<SignUp>
        size="small"
        rowKey={(s) => `${s.activityId}-${s.signedUpAt}`}
        loading={mine.isLoading}
        dataSource={mine.data?.items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 480 }}
        locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('activity.title'), dataIndex: 'activityTitle' },
          { title: t('activity.startsAt'), dataIndex: 'activityStartsAt', render: formatInstant },
          {
            title: t('common.status'),
            dataIndex: 'status',
            render: (v: string) => labelOf(t, 'signUp.status', v),
          },
        ]}
      />
      <Modal
        open={door !== null}
        title={`${door?.kind === 'in' ? t('activity.checkIn') : t('activity.checkOut')} · ${door?.activity.title ?? ''}`}
        okText={t('common.confirm')}
        cancelText={t('common.cancel')}
        confirmLoading={check.isPending}
        onOk={() => check.mutate()}
        onCancel={() => setDoor(null)}
      >
        <Input
          aria-label={t('activity.code')}
          placeholder={t('activity.code')}
          inputMode="numeric"
          value={code}
          maxLength={80}
          onChange={(e) => setCode(e.target.value)}
        />
      </Modal>
    </Space>
  )
}
