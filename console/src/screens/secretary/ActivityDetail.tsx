import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Card, Descriptions, Form, Input, Space, Table, Tag, Typography } from 'antd'
import { useParams } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { type AnswerOf, api } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { MemberPicker, PageTitle, SectionTitle, say } from './kit'
import { hoursProblem } from './rules'

type Participant = AnswerOf<'getActivity'>['participants'][number]

/** One activity: participants and their hours while open, then verify (every hour final, claims drafted). */
export default function ActivityDetail() {
  const t = useT()
  const { id = '' } = useParams()
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { message, modal } = App.useApp()
  const notifyError = useNotifyError()
  const [form] = Form.useForm<{ memberId: string; hours: string }>()
  const activity = useQuery({
    queryKey: ['activity', id],
    queryFn: async () => (await api.GET('/api/v1/activities/{id}', { params: { path: { id } } })).data,
  })
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['activity', id] }),
      qc.invalidateQueries({ queryKey: ['activities'] }),
    ])
  const record = useMutation({
    mutationFn: async (v: { memberId: string; hours: string }) =>
      (
        await api.PUT('/api/v1/activities/{id}/participants/{memberId}', {
          params: { path: { id, memberId: v.memberId } },
          body: { hours: v.hours.trim() },
        })
      ).data,
    onSuccess: async (p) => {
      message.success(t('actd.recorded', { name: p.memberName, hours: p.hours }))
      form.resetFields()
      await refresh()
    },
    onError: notifyError,
  })
  const remove = useMutation({
    mutationFn: async (memberId: string) =>
      api.DELETE('/api/v1/activities/{id}/participants/{memberId}', { params: { path: { id, memberId } } }),
    onSuccess: refresh,
    onError: notifyError,
  })
  const verify = useMutation({
    mutationFn: async () =>
      (await api.POST('/api/v1/activities/{id}/verify', { params: { path: { id } } })).data,
    onSuccess: async () => {
      message.success(t('actd.verified'))
      await refresh()
      await qc.invalidateQueries({ queryKey: ['claims'] })
    },
    onError: notifyError,
  })

  const a = activity.data
  if (!a) return <ApiError error={activity.error} />
  const open = a.status === 'open'
  const ended = Date.parse(a.endsAt) <= Date.now()
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>
        {a.title} <Tag color={open ? 'processing' : 'success'}>{labelOf(t, 'activityStatus', a.status)}</Tag>
      </PageTitle>
      <Descriptions size="small" bordered column={{ xs: 1, sm: 2, md: 3 }}>
        <Descriptions.Item label={t('activities.startsAt')}>{formatInstant(a.startsAt)}</Descriptions.Item>
        <Descriptions.Item label={t('activities.endsAt')}>{formatInstant(a.endsAt)}</Descriptions.Item>
        <Descriptions.Item label={t('actd.length')}>
          <Amount value={a.lengthHours} /> {t('common.hours')}
        </Descriptions.Item>
        <Descriptions.Item label={t('activities.location')}>{a.location ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('activities.rubricItem')}>{a.rubricItemCode ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('activities.totalHours')}>
          <Amount value={a.totalHours} />
        </Descriptions.Item>
      </Descriptions>
      {open ? (
        <Card size="small" title={t('actd.addParticipant')}>
          <Form form={form} layout="inline" onFinish={(v) => record.mutate(v)} style={{ rowGap: 8 }}>
            <Form.Item
              name="memberId"
              label={t('claims.member')}
              rules={[{ required: true, message: t('rule.required') }]}
              style={{ minWidth: 220 }}
            >
              <MemberPicker orgUnitId={workspace.orgUnitId} />
            </Form.Item>
            <Form.Item
              name="hours"
              label={t('actd.hours')}
              rules={[
                {
                  validator: (_, value: string) => {
                    const p = hoursProblem(value, a.lengthHours)
                    return p ? Promise.reject(new Error(say(t, p))) : Promise.resolve()
                  },
                },
              ]}
            >
              <Input inputMode="decimal" style={{ width: 100 }} placeholder={a.lengthHours} />
            </Form.Item>
            <Form.Item>
              <Button htmlType="submit" loading={record.isPending}>
                {t('actd.record')}
              </Button>
            </Form.Item>
          </Form>
        </Card>
      ) : null}
      <SectionTitle>{t('activities.participants')}</SectionTitle>
      <Table<Participant>
        rowKey="memberId"
        size="small"
        pagination={false}
        scroll={{ x: true }}
        dataSource={a.participants}
        columns={[
          { title: t('claims.member'), dataIndex: 'memberName' },
          { title: t('actd.hours'), render: (_, p) => <Amount value={p.hours} /> },
          { title: t('actd.verifiedHours'), render: (_, p) => <Amount value={p.verifiedHours} /> },
          { title: t('actd.corrections'), dataIndex: 'corrections' },
          {
            title: t('common.actions'),
            render: (_, p) =>
              open ? (
                <Button
                  size="small"
                  aria-label={`${t('actd.remove')} ${p.memberName}`}
                  onClick={() => remove.mutate(p.memberId)}
                >
                  {t('actd.remove')}
                </Button>
              ) : null,
          },
        ]}
      />
      {open ? (
        <Space direction="vertical">
          {!ended ? <Typography.Text type="secondary">{t('actd.notEnded')}</Typography.Text> : null}
          <Button
            type="primary"
            disabled={a.participants.length === 0}
            loading={verify.isPending}
            onClick={() =>
              modal.confirm({
                title: t('actd.verifyConfirm'),
                content: t('actd.verifyBody', { n: a.participants.length, hours: a.totalHours }),
                okText: t('actd.verify'),
                cancelText: t('common.cancel'),
                onOk: () => verify.mutateAsync().catch(() => {}),
              })
            }
          >
            {t('actd.verify')}
          </Button>
        </Space>
      ) : null}
    </Space>
  )
}
