import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Form, Input, Modal, Select, Space, Table, Tag } from 'antd'
import { useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { enumValues } from '../../lib/enums'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { activeRubricOf, listTable, PageTitle, StatusFilter, say, useRubrics } from './kit'
import { activityTimeProblem } from './rules'

type Activity = ItemOf<'listActivities'>
const ACTIVITY_STATUSES = enumValues<Activity['status']>()(['open', 'verified'])

interface ActivityForm {
  title: string
  startsAt: string
  endsAt: string
  location?: string
  rubricItemCode?: string
}

/** "2026-05-01T09:00" from an <input type="datetime-local"> as RFC 3339 (the browser's zone). */
export function localToInstant(value: string): string {
  return new Date(value).toISOString()
}

function CreateActivity({ open, onClose }: { open: boolean; onClose: () => void }) {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const navigate = useNavigate()
  const qc = useQueryClient()
  const notifyError = useNotifyError()
  const { message } = App.useApp()
  const [form] = Form.useForm<ActivityForm>()
  const rubrics = useRubrics(unit)
  const active = activeRubricOf(rubrics.data, new Date().getFullYear())
  const create = useMutation({
    mutationFn: async (v: ActivityForm) =>
      (
        await api.POST('/api/v1/activities', {
          body: {
            orgUnitId: unit,
            title: v.title.trim(),
            startsAt: localToInstant(v.startsAt),
            endsAt: localToInstant(v.endsAt),
            ...(v.location?.trim() ? { location: v.location.trim() } : {}),
            ...(v.rubricItemCode ? { rubricItemCode: v.rubricItemCode } : {}),
          },
        })
      ).data,
    onSuccess: async (a) => {
      await qc.invalidateQueries({ queryKey: ['activities'] })
      message.success(t('activities.created'))
      onClose()
      navigate(`/secretary/activities/${a.id}`)
    },
    onError: notifyError,
  })
  return (
    <Modal
      open={open}
      title={t('activities.new')}
      okText={t('activities.create')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={create.isPending}
      destroyOnClose
    >
      <Form<ActivityForm> form={form} layout="vertical" preserve={false} onFinish={(v) => create.mutate(v)}>
        <Form.Item
          name="title"
          label={t('activities.titleLabel')}
          rules={[{ required: true, whitespace: true, message: t('rule.required') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Space wrap>
          <Form.Item
            name="startsAt"
            label={t('activities.startsAt')}
            rules={[{ required: true, message: t('rule.required') }]}
          >
            <Input type="datetime-local" />
          </Form.Item>
          <Form.Item
            name="endsAt"
            label={t('activities.endsAt')}
            dependencies={['startsAt']}
            rules={[
              ({ getFieldValue }) => ({
                validator: (_, value: string) => {
                  const p = activityTimeProblem(getFieldValue('startsAt'), value)
                  return p ? Promise.reject(new Error(say(t, p))) : Promise.resolve()
                },
              }),
            ]}
          >
            <Input type="datetime-local" />
          </Form.Item>
        </Space>
        <Form.Item name="location" label={t('activities.location')}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item
          name="rubricItemCode"
          label={t('activities.rubricItem')}
          extra={t('activities.rubricItemHelp')}
        >
          <Select
            allowClear
            loading={rubrics.isLoading}
            options={(active?.items ?? [])
              .filter((i) => i.kind === 'award' && i.unit === 'hour')
              .map((i) => ({ value: i.code, label: `${i.code} ${i.name}` }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  )
}

/** 活动: the unit's activities (open ones wait to be verified) and a new one. */
export default function Activities() {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const [status, setStatus] = useState<Activity['status'] | undefined>('open')
  const [creating, setCreating] = useState(false)
  const list = useQuery({
    queryKey: ['activities', unit, 'list', status],
    queryFn: async () =>
      (
        await api.GET('/api/v1/activities', {
          params: { query: { orgUnitId: unit, limit: 200, ...(status ? { status } : {}) } },
        })
      ).data.items,
  })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle create={{ label: t('activities.new'), onClick: () => setCreating(true) }}>
        {t('nav.secretary.activities')}
      </PageTitle>
      <StatusFilter
        values={ACTIVITY_STATUSES}
        prefix="activityStatus"
        placeholder={t('activities.allStates')}
        width={160}
        value={status}
        onChange={setStatus}
      />
      <ApiError error={list.error} />
      <Table<Activity>
        rowKey="id"
        {...listTable(list)}
        columns={[
          {
            title: t('activities.titleLabel'),
            render: (_, a) => <Link to={`/secretary/activities/${a.id}`}>{a.title}</Link>,
          },
          { title: t('activities.startsAt'), render: (_, a) => formatInstant(a.startsAt) },
          { title: t('activities.participants'), dataIndex: 'participantCount' },
          { title: t('activities.totalHours'), render: (_, a) => <Amount value={a.totalHours} /> },
          {
            title: t('common.status'),
            render: (_, a) => (
              <Tag color={a.status === 'verified' ? 'success' : 'processing'}>
                {labelOf(t, 'activityStatus', a.status)}
              </Tag>
            ),
          },
        ]}
      />
      <CreateActivity open={creating} onClose={() => setCreating(false)} />
    </Space>
  )
}
