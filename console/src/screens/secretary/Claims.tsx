import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Form, Input, Modal, Select, Space, Table, Tag } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { enumValues } from '../../lib/enums'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, useNotifyError } from '../../lib/ui'
import {
  activeRubricOf,
  listTable,
  MemberPicker,
  PageTitle,
  StatusFilter,
  say,
  today,
  useMemberNames,
  useRubrics,
} from './kit'
import { decimalProblem } from './rules'

type Claim = ItemOf<'listClaims'>
type ClaimStatus = Claim['status']
const CLAIM_STATUSES = enumValues<ClaimStatus>()(['submitted', 'scoring', 'scored', 'posted', 'withdrawn'])

interface ClaimForm {
  memberId?: string
  memberIds?: string[]
  itemCode: string
  occurredOn: string
  quantity?: string
  description: string
}

/** File one claim, or the same claim for many members (批量申报, all or nothing). */
function FileClaim({ batch, open, onClose }: { batch: boolean; open: boolean; onClose: () => void }) {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const qc = useQueryClient()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [form] = Form.useForm<ClaimForm>()
  const rubrics = useRubrics(unit)
  const occurredOn = Form.useWatch('occurredOn', form) ?? today()
  const rubric = activeRubricOf(rubrics.data, Number(occurredOn.slice(0, 4)))
  const code = Form.useWatch('itemCode', form)
  const item = rubric?.items.find((i) => i.code === code)
  const file = useMutation({
    mutationFn: async (v: ClaimForm) => {
      if (!rubric) throw new Error('no rubric')
      const common = {
        rubricId: rubric.id,
        itemCode: v.itemCode,
        occurredOn: v.occurredOn,
        description: v.description.trim(),
        ...(v.quantity?.trim() && item?.unit !== 'fixed' ? { quantity: v.quantity.trim() } : {}),
      }
      if (batch) {
        const { data } = await api.POST('/api/v1/claims/batch', {
          body: { ...common, memberIds: v.memberIds ?? [] },
        })
        return data.count
      }
      await api.POST('/api/v1/claims', { body: { ...common, memberId: v.memberId! } })
      return 1
    },
    onSuccess: async (n) => {
      message.success(t('claims.filed', { n }))
      await qc.invalidateQueries({ queryKey: ['claims'] })
      onClose()
    },
    onError: notifyError,
  })
  return (
    <Modal
      open={open}
      title={batch ? t('claims.batch') : t('claims.new')}
      okText={t('claims.file')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={file.isPending}
      destroyOnClose
    >
      <Form<ClaimForm>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{ occurredOn: today() }}
        onFinish={(v) => file.mutate(v)}
      >
        {batch ? (
          <Form.Item
            name="memberIds"
            label={t('claims.members')}
            extra={t('claims.batchHelp')}
            rules={[{ required: true, message: t('rule.required') }]}
          >
            <MemberPicker orgUnitId={unit} multiple />
          </Form.Item>
        ) : (
          <Form.Item
            name="memberId"
            label={t('claims.member')}
            rules={[{ required: true, message: t('rule.required') }]}
          >
            <MemberPicker orgUnitId={unit} />
          </Form.Item>
        )}
        <Form.Item
          name="occurredOn"
          label={t('claims.occurredOn')}
          rules={[{ required: true, message: t('rule.required') }]}
        >
          <Input type="date" />
        </Form.Item>
        <Form.Item
          name="itemCode"
          label={t('claims.item')}
          extra={rubric ? `${rubric.year} ${rubric.name}` : t('claims.noRubric')}
          rules={[{ required: true, message: t('rule.required') }]}
        >
          <Select
            showSearch
            optionFilterProp="label"
            options={(rubric?.items ?? []).map((i) => ({
              value: i.code,
              label: `${i.code} ${i.name}${i.kind === 'deduction' ? `（${t('claims.deduction')}）` : ''}`,
            }))}
          />
        </Form.Item>
        {item && item.unit !== 'fixed' ? (
          <Form.Item
            name="quantity"
            label={`${t('claims.quantity')}（${labelOf(t, 'itemUnit', item.unit)}）`}
            rules={[
              {
                validator: (_, v: string) => {
                  const p = decimalProblem(v, { positive: true, whole: item.unit === 'occurrence' })
                  return p ? Promise.reject(new Error(say(t, p))) : Promise.resolve()
                },
              },
            ]}
          >
            <Input inputMode="decimal" style={{ width: 140 }} />
          </Form.Item>
        ) : null}
        <Form.Item
          name="description"
          label={t('claims.description')}
          rules={[{ required: true, whitespace: true, message: t('rule.required') }]}
        >
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
      </Form>
    </Modal>
  )
}

/** 积分申报: the unit's claims by state; file one, file a batch, withdraw one not yet in a round. */
export default function Claims() {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const nameOf = useMemberNames(unit)
  const qc = useQueryClient()
  const notifyError = useNotifyError()
  const { modal, message } = App.useApp()
  const [status, setStatus] = useState<ClaimStatus | undefined>('submitted')
  const [filing, setFiling] = useState<'one' | 'batch' | null>(null)
  const claims = useQuery({
    queryKey: ['claims', unit, 'list', status],
    queryFn: async () =>
      (
        await api.GET('/api/v1/claims', {
          params: { query: { orgUnitId: unit, limit: 200, ...(status ? { status } : {}) } },
        })
      ).data.items,
  })
  const withdraw = useMutation({
    mutationFn: async (id: string) =>
      (await api.POST('/api/v1/claims/{id}/withdraw', { params: { path: { id } } })).data,
    onSuccess: async () => {
      message.success(t('claims.withdrawn'))
      await qc.invalidateQueries({ queryKey: ['claims'] })
    },
    onError: notifyError,
  })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle
        extra={
          <Space wrap>
            <Button type="primary" onClick={() => setFiling('one')}>
              {t('claims.new')}
            </Button>
            <Button onClick={() => setFiling('batch')}>{t('claims.batch')}</Button>
          </Space>
        }
      >
        {t('nav.secretary.claims')}
      </PageTitle>
      <StatusFilter
        values={CLAIM_STATUSES}
        prefix="claimStatus"
        placeholder={t('claims.allStates')}
        width={160}
        value={status}
        onChange={setStatus}
      />
      <ApiError error={claims.error} />
      <Table<Claim>
        rowKey="id"
        {...listTable(claims)}
        columns={[
          { title: t('claims.member'), render: (_, c) => nameOf(c.memberId) },
          { title: t('claims.item'), dataIndex: 'itemCode' },
          { title: t('claims.occurredOn'), dataIndex: 'occurredOn' },
          { title: t('claims.quantity'), render: (_, c) => <Amount value={c.quantity} /> },
          { title: t('claims.ceiling'), render: (_, c) => <Amount value={c.ceiling} /> },
          {
            title: t('common.status'),
            render: (_, c) => <Tag>{labelOf(t, 'claimStatus', c.status)}</Tag>,
          },
          { title: t('claims.description'), dataIndex: 'description', ellipsis: true },
          {
            title: t('common.actions'),
            render: (_, c) =>
              c.status === 'submitted' ? (
                <Button
                  size="small"
                  aria-label={`${t('claims.withdraw')} ${nameOf(c.memberId)} ${c.itemCode}`}
                  onClick={() =>
                    modal.confirm({
                      title: t('claims.withdrawConfirm'),
                      okText: t('claims.withdraw'),
                      cancelText: t('common.cancel'),
                      onOk: () => withdraw.mutateAsync(c.id).catch(() => {}),
                    })
                  }
                >
                  {t('claims.withdraw')}
                </Button>
              ) : null,
          },
        ]}
      />
      <FileClaim batch={filing === 'batch'} open={filing !== null} onClose={() => setFiling(null)} />
    </Space>
  )
}
