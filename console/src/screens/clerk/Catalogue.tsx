import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Form, Input, InputNumber, Modal, Space, Switch, Table, Typography } from 'antd'
import { useState } from 'react'
import { useT } from '../../i18n'
import { api } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, useNotifyError } from '../../lib/ui'

type Reward = Awaited<ReturnType<typeof listAll>>['items'][number]
type Dialog = { kind: 'stock' | 'writeOff'; reward: Reward } | { kind: 'new' } | null

async function listAll(orgUnitId: string) {
  return (await api.GET('/api/v1/rewards', { params: { query: { orgUnitId, limit: 200 } } })).data
}

/** The office's catalogue (积分超市): new rewards, stock in, write-offs, on and off the shelf. */
export default function CatalogueScreen() {
  const t = useT()
  const { workspace } = useWorkspace()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const qc = useQueryClient()
  const [dialog, setDialog] = useState<Dialog>(null)
  const [form] = Form.useForm()
  const rewards = useQuery({
    queryKey: ['rewards', 'all', workspace.orgUnitId],
    queryFn: () => listAll(workspace.orgUnitId),
  })
  const done = async () => {
    setDialog(null)
    form.resetFields()
    message.success(t('common.done'))
    await qc.invalidateQueries({ queryKey: ['rewards'] })
  }
  const save = useMutation({
    mutationFn: async (values: Record<string, unknown>) => {
      if (!dialog) return
      if (dialog.kind === 'new') {
        await api.POST('/api/v1/rewards', {
          body: {
            orgUnitId: workspace.orgUnitId,
            name: String(values.name),
            pointsCost: String(values.pointsCost),
            ...(values.perMemberLimit ? { perMemberLimit: Number(values.perMemberLimit) } : {}),
          },
        })
      } else if (dialog.kind === 'stock') {
        await api.POST('/api/v1/rewards/{id}/stock', {
          params: { path: { id: dialog.reward.id } },
          body: { quantity: Number(values.quantity), ...(values.note ? { note: String(values.note) } : {}) },
        })
      } else {
        await api.POST('/api/v1/rewards/{id}/write-offs', {
          params: { path: { id: dialog.reward.id } },
          body: { quantity: Number(values.quantity), reason: String(values.reason) },
        })
      }
    },
    onSuccess: done,
    onError: notifyError,
  })
  const toggle = useMutation({
    mutationFn: async (r: Reward) =>
      api.PATCH('/api/v1/rewards/{id}', { params: { path: { id: r.id } }, body: { active: !r.active } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['rewards'] }),
    onError: notifyError,
  })
  const title =
    dialog?.kind === 'new'
      ? t('catalogue.new')
      : dialog?.kind === 'stock'
        ? t('catalogue.stockIn', { name: dialog.reward.name })
        : dialog
          ? t('catalogue.writeOff', { name: dialog.reward.name })
          : ''
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t('nav.clerk.catalogue')}
        </Typography.Title>
        <Button type="primary" onClick={() => setDialog({ kind: 'new' })}>
          {t('catalogue.new')}
        </Button>
      </Space>
      <ApiError error={rewards.error} />
      <Table<Reward>
        size="small"
        rowKey="id"
        loading={rewards.isLoading}
        dataSource={rewards.data?.items ?? []}
        pagination={false}
        scroll={{ x: 640 }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          {
            title: t('catalogue.cost'),
            dataIndex: 'pointsCost',
            align: 'right',
            render: (v: string) => <Amount value={v} />,
          },
          { title: t('catalogue.onHand'), dataIndex: 'stockOnHand', align: 'right' },
          { title: t('catalogue.reserved'), dataIndex: 'reserved', align: 'right' },
          { title: t('catalogue.available'), dataIndex: 'available', align: 'right' },
          {
            title: t('catalogue.active'),
            dataIndex: 'active',
            render: (_: boolean, r: Reward) => (
              <Switch
                size="small"
                checked={r.active}
                aria-label={`${t('catalogue.active')} ${r.name}`}
                loading={toggle.isPending && toggle.variables?.id === r.id}
                onChange={() => toggle.mutate(r)}
              />
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r: Reward) => (
              <Space>
                <Button size="small" onClick={() => setDialog({ kind: 'stock', reward: r })}>
                  {t('catalogue.stockInShort')}
                </Button>
                <Button size="small" danger onClick={() => setDialog({ kind: 'writeOff', reward: r })}>
                  {t('catalogue.writeOffShort')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={dialog !== null}
        title={title}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        confirmLoading={save.isPending}
        onOk={() => form.submit()}
        onCancel={() => setDialog(null)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} preserve={false}>
          {dialog?.kind === 'new' ? (
            <>
              <Form.Item name="name" label={t('common.name')} rules={[{ required: true, max: 100 }]}>
                <Input />
              </Form.Item>
              <Form.Item
                name="pointsCost"
                label={t('catalogue.cost')}
                rules={[
                  { required: true, pattern: /^\d{1,7}(\.\d{1,2})?$/, message: t('catalogue.costRule') },
                ]}
              >
                <Input inputMode="decimal" />
              </Form.Item>
              <Form.Item name="perMemberLimit" label={t('catalogue.limit')}>
                <InputNumber min={1} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </>
          ) : (
            <>
              <Form.Item name="quantity" label={t('common.quantity')} rules={[{ required: true }]}>
                <InputNumber min={1} precision={0} style={{ width: '100%' }} />
              </Form.Item>
              {dialog?.kind === 'writeOff' ? (
                <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, max: 500 }]}>
                  <Input />
                </Form.Item>
              ) : (
                <Form.Item name="note" label={t('common.note')} rules={[{ max: 500 }]}>
                  <Input />
                </Form.Item>
              )}
            </>
          )}
        </Form>
      </Modal>
    </Space>
  )
}
