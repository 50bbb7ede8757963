import { useMutation, useQueryClient } from '@tanstack/react-query'
import { App, Form, Input, InputNumber, Modal, Space, Table, Tag } from 'antd'
import { useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { api } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { listTable, PageTitle, type Rubric, useRubrics } from './kit'

/** 积分细则: the unit's rubrics by year; a new one from the shipped 20-item template. */
export default function Rubrics() {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const rubrics = useRubrics(unit)
  const navigate = useNavigate()
  const qc = useQueryClient()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [open, setOpen] = useState(false)
  const [form] = Form.useForm<{ year: number; name: string }>()
  const nextYear = new Date().getFullYear() + 1
  const create = useMutation({
    mutationFn: async (v: { year: number; name: string }) =>
      (
        await api.POST('/api/v1/rubrics', {
          body: { orgUnitId: unit, year: v.year, name: v.name.trim(), fromTemplate: 'default' },
        })
      ).data,
    onSuccess: async (r) => {
      await qc.invalidateQueries({ queryKey: ['rubrics'] })
      message.success(t('rubrics.created'))
      setOpen(false)
      navigate(`/secretary/rubrics/${r.id}`)
    },
    onError: notifyError,
  })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle create={{ label: t('rubrics.fromTemplate'), onClick: () => setOpen(true) }}>
        {t('nav.secretary.rubrics')}
      </PageTitle>
      <ApiError error={rubrics.error} />
      <Table<Rubric>
        rowKey="id"
        {...listTable(rubrics)}
        dataSource={[...(rubrics.data ?? [])].sort((a, b) => b.year - a.year)}
        pagination={false}
        columns={[
          { title: t('rubrics.year'), dataIndex: 'year' },
          {
            title: t('common.name'),
            render: (_, r) => <Link to={`/secretary/rubrics/${r.id}`}>{r.name}</Link>,
          },
          { title: t('rubrics.items'), render: (_, r) => r.items.length },
          {
            title: t('common.status'),
            render: (_, r) => (
              <Tag color={r.status === 'active' ? 'success' : 'default'}>
                {labelOf(t, 'rubricStatus', r.status)}
              </Tag>
            ),
          },
          { title: t('rubrics.activatedAt'), render: (_, r) => formatInstant(r.activatedAt) },
        ]}
      />
      <Modal
        open={open}
        title={t('rubrics.fromTemplate')}
        okText={t('rubrics.create')}
        cancelText={t('common.cancel')}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        confirmLoading={create.isPending}
        destroyOnClose
      >
        <Form
          form={form}
          layout="vertical"
          preserve={false}
          initialValues={{ year: nextYear, name: t('rubrics.defaultName', { year: nextYear }) }}
          onFinish={(v) => create.mutate(v)}
        >
          <Form.Item
            name="year"
            label={t('rubrics.year')}
            rules={[{ required: true, message: t('rule.required') }]}
          >
            <InputNumber min={2000} max={2100} precision={0} />
          </Form.Item>
          <Form.Item
            name="name"
            label={t('common.name')}
            rules={[{ required: true, whitespace: true, message: t('rule.required') }]}
          >
            <Input maxLength={200} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  )
}
