import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Card, Input, Modal, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { useMemberId } from './Home'

type SignUp = ItemOf<'listMySignUps'>
type OpenActivity = ItemOf<'listOpenActivities'>
type Door = { activityId: string; title: string; kind: 'in' | 'out' }

/** What the door's QR code holds: vp-checkin:<activityId>:<six digits>. */
export function parseCheckInPayload(text: string): { activityId: string; code: string } | null {
  const m = /^vp-checkin:([0-9a-f-]{36}):(\d{6})$/i.exec(text.trim())
  return m ? { activityId: m[1]!, code: m[2]! } : null
}

/**
 * 报名 and 签到: the activities the member may sign up for (listOpenActivities: open now or later, places left,
 * their own sign-up) with a 报名 button, their sign-ups (cancel, check in and out with the six digits shown at the
 * door) and a check-in by the door's QR text.
 */
export default function Activities() {
  const t = useT()
  const memberId = useMemberId()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const qc = useQueryClient()
  const [door, setDoor] = useState<Door | null>(null)
  const [code, setCode] = useState('')
  const [scanned, setScanned] = useState('')
  const mine = useQuery({
    queryKey: ['my-sign-ups'],
    queryFn: async () => (await api.GET('/api/v1/me/sign-ups', { params: { query: { limit: 100 } } })).data,
  })
  const open = useQuery({
    queryKey: ['open-activities'],
    queryFn: async () => (await api.GET('/api/v1/me/activities', { params: { query: { limit: 100 } } })).data,
  })
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['my-sign-ups'] }),
      qc.invalidateQueries({ queryKey: ['open-activities'] }),
    ])
  const signUp = useMutation({
    mutationFn: async (activityId: string) =>
      (
        await api.POST('/api/v1/activities/{id}/sign-ups', {
          params: { path: { id: activityId } },
          body: null,
        })
      ).data,
    onSuccess: (s) => {
      message.success(
        s.status === 'waitlisted'
          ? t('activity.waitlistedAt', { position: String(s.position ?? '') })
          : t('activity.signedUp'),
      )
      return refresh()
    },
    onError: notifyError,
  })
  const cancel = useMutation({
    mutationFn: async (activityId: string) =>
      api.POST('/api/v1/activities/{id}/sign-ups/{memberId}/cancel', {
        params: { path: { id: activityId, memberId } },
        body: {},
      }),
    onSuccess: refresh,
    onError: notifyError,
  })
  const check = useMutation({
    mutationFn: async (v: { activityId: string; code: string; kind: 'in' | 'out' }) => {
      const init = { params: { path: { id: v.activityId } }, body: { code: v.code } }
      if (v.kind === 'in') await api.POST('/api/v1/activities/{id}/check-ins', init)
      else await api.POST('/api/v1/activities/{id}/check-outs', init)
      return v.kind
    },
    onSuccess: (kind) => {
      message.success(kind === 'in' ? t('activity.checkedIn') : t('activity.checkedOut'))
      setDoor(null)
      setCode('')
      setScanned('')
    },
    onError: notifyError,
  })
  const payload = parseCheckInPayload(scanned)
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.member.activities')}
      </Typography.Title>
      <Card size="small" title={t('activity.scanTitle')}>
        <Space.Compact style={{ width: '100%' }}>
          <Input
            aria-label={t('activity.scan')}
            placeholder={t('activity.scan')}
            value={scanned}
            maxLength={120}
            onChange={(e) => setScanned(e.target.value)}
          />
          <Button
            type="primary"
            disabled={!payload}
            loading={check.isPending && door === null}
            onClick={() => payload && check.mutate({ ...payload, kind: 'in' })}
          >
            {t('activity.checkIn')}
          </Button>
        </Space.Compact>
      </Card>
      <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>
        {t('activity.open')}
      </Typography.Title>
      <ApiError error={open.error} />
      <Table<OpenActivity>
        size="small"
        rowKey="id"
        loading={open.isLoading}
        dataSource={open.data?.items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 640 }}
        locale={{ emptyText: t('activity.noOpen') }}
        columns={[
          { title: t('activity.title'), dataIndex: 'title' },
          { title: t('activity.unit'), dataIndex: 'orgUnitName' },
          { title: t('activity.startsAt'), dataIndex: 'startsAt', render: formatInstant },
          {
            title: t('activity.placesLeft'),
            key: 'places',
            render: (_: unknown, a: OpenActivity) =>
              a.placesLeft === null
                ? t('activity.unlimited')
                : a.placesLeft === 0
                  ? t('activity.full')
                  : a.placesLeft,
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, a: OpenActivity) =>
              a.mySignUp && a.mySignUp.status !== 'cancelled' ? (
                <Tag color={a.mySignUp.status === 'confirmed' ? 'green' : 'orange'}>
                  {labelOf(t, 'signUp.status', a.mySignUp.status)}
                  {a.mySignUp.position ? ` #${a.mySignUp.position}` : ''}
                </Tag>
              ) : a.signUp === 'upcoming' ? (
                <Typography.Text type="secondary">
                  {t('activity.opensAt', { at: formatInstant(a.signUpOpensAt) })}
                </Typography.Text>
              ) : (
                <Button
                  size="small"
                  type="primary"
                  aria-label={`${t('activity.signUp')} ${a.title}`}
                  loading={signUp.isPending && signUp.variables === a.id}
                  onClick={() => signUp.mutate(a.id)}
                >
                  {t('activity.signUp')}
                </Button>
              ),
          },
        ]}
      />
      <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>
        {t('activity.mine')}
      </Typography.Title>
      <ApiError error={mine.error} />
      <Table<SignUp>
        size="small"
        rowKey={(s) => `${s.activityId}-${s.signedUpAt}`}
        loading={mine.isLoading}
        dataSource={mine.data?.items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 560 }}
        locale={{ emptyText: t('activity.noSignUps') }}
        columns={[
          { title: t('activity.title'), dataIndex: 'activityTitle' },
          { title: t('activity.startsAt'), dataIndex: 'activityStartsAt', render: formatInstant },
          {
            title: t('common.status'),
            dataIndex: 'status',
            render: (v: string, s: SignUp) => (
              <Tag color={v === 'confirmed' ? 'green' : v === 'waitlisted' ? 'orange' : undefined}>
                {labelOf(t, 'signUp.status', v)}
                {s.position ? ` #${s.position}` : ''}
              </Tag>
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, s: SignUp) =>
              s.status === 'cancelled' ? null : (
                <Space wrap>
                  <Button
                    size="small"
                    onClick={() => setDoor({ activityId: s.activityId, title: s.activityTitle, kind: 'in' })}
                  >
                    {t('activity.checkIn')}
                  </Button>
                  <Button
                    size="small"
                    onClick={() => setDoor({ activityId: s.activityId, title: s.activityTitle, kind: 'out' })}
                  >
                    {t('activity.checkOut')}
                  </Button>
                  <Button
                    size="small"
                    loading={cancel.isPending && cancel.variables === s.activityId}
                    onClick={() => cancel.mutate(s.activityId)}
                  >
                    {t('activity.cancelSignUp')}
                  </Button>
                </Space>
              ),
          },
        ]}
      />
      <Modal
        open={door !== null}
        title={`${door?.kind === 'in' ? t('activity.checkIn') : t('activity.checkOut')} · ${door?.title ?? ''}`}
        okText={t('common.confirm')}
        cancelText={t('common.cancel')}
        okButtonProps={{ disabled: !/^\d{6}$/.test(code.trim()) }}
        confirmLoading={check.isPending}
        onOk={() => door && check.mutate({ activityId: door.activityId, code: code.trim(), kind: door.kind })}
        onCancel={() => setDoor(null)}
      >
        <Input
          aria-label={t('activity.code')}
          placeholder={t('activity.code')}
          inputMode="numeric"
          value={code}
          maxLength={6}
          onChange={(e) => setCode(e.target.value)}
        />
      </Modal>
    </Space>
  )
}
