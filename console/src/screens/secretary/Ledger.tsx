import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Card, Descriptions, Form, Input, Modal, Space, Table, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { listTable, MemberPicker, PageTitle, ReasonInput, SectionTitle, say } from './kit'
import { adjustmentProblems } from './rules'

type Row = ItemOf<'listMemberLedger'>

/**
 * 积分更正: corrections are never edits. Pick a member, read their ledger with the running balance, post an
 * adjustment (signed amount, reason) or reverse one transaction (reason). Both carry an Idempotency-Key (the
 * client sets a fresh one per submission and keeps it on a retry after a lost answer).
 */
export default function Ledger() {
  const t = useT()
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [memberId, setMemberId] = useState<string | undefined>()
  const [reversing, setReversing] = useState<Row | null>(null)
  const [reason, setReason] = useState('')
  const [form] = Form.useForm<{ amount: string; reason: string }>()
  const balance = useQuery({
    queryKey: ['balance', memberId],
    enabled: memberId !== undefined,
    queryFn: async () =>
      (await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: memberId! } } })).data,
  })
  const ledger = useQuery({
    queryKey: ['ledger', memberId],
    enabled: memberId !== undefined,
    queryFn: async () =>
      (
        await api.GET('/api/v1/members/{id}/ledger', {
          params: { path: { id: memberId! }, query: { limit: 100 } },
        })
      ).data.items,
  })
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['balance'] }),
      qc.invalidateQueries({ queryKey: ['ledger'] }),
    ])
  const adjust = useMutation({
    mutationFn: async (v: { amount: string; reason: string }) =>
      (
        await api.POST('/api/v1/ledger/adjustments', {
          body: { memberId: memberId!, amount: v.amount.trim(), reason: v.reason.trim() },
        })
      ).data,
    onSuccess: async () => {
      message.success(t('corr.adjusted'))
      form.resetFields()
      await refresh()
    },
    onError: notifyError,
  })
  const reverse = useMutation({
    mutationFn: async ({ id, why }: { id: string; why: string }) =>
      (
        await api.POST('/api/v1/ledger/transactions/{id}/reverse', {
          params: { path: { id } },
          body: { reason: why },
        })
      ).data,
    onSuccess: async () => {
      message.success(t('corr.reversed'))
      setReversing(null)
      setReason('')
      await refresh()
    },
    onError: notifyError,
  })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>{t('nav.secretary.ledger')}</PageTitle>
      <div style={{ maxWidth: 360 }}>
        <MemberPicker
          orgUnitId={workspace.orgUnitId}
          aria-label={t('sec.pickMember')}
          value={memberId}
          onChange={(v) => setMemberId(typeof v === 'string' ? v : undefined)}
        />
      </div>
      {memberId ? (
        <>
          <ApiError error={balance.error} />
          <Descriptions size="small" bordered column={{ xs: 2, md: 4 }}>
            <Descriptions.Item label={t('member.balance')}>
              <Amount value={balance.data?.balance} />
            </Descriptions.Item>
            <Descriptions.Item label={t('member.held')}>
              <Amount value={balance.data?.held} />
            </Descriptions.Item>
            <Descriptions.Item label={t('member.available')}>
              <Amount value={balance.data?.available} />
            </Descriptions.Item>
            <Descriptions.Item label={t('corr.lifetime')}>
              <Amount value={balance.data?.lifetimeEarned} />
            </Descriptions.Item>
          </Descriptions>
          <Card size="small" title={t('corr.adjust')}>
            <Form form={form} layout="vertical" onFinish={(v) => adjust.mutate(v)} style={{ maxWidth: 480 }}>
              <Form.Item
                name="amount"
                label={t('ledger.amount')}
                extra={t('corr.amountHelp')}
                rules={[
                  {
                    validator: (_, v: string) =>
                      reject(t, adjustmentProblems({ amount: v, reason: 'x' }).amount),
                  },
                ]}
              >
                <Input inputMode="decimal" style={{ width: 160 }} />
              </Form.Item>
              <Form.Item
                name="reason"
                label={t('common.reason')}
                rules={[
                  {
                    validator: (_, v: string) =>
                      reject(t, adjustmentProblems({ amount: '1', reason: v }).reason),
                  },
                ]}
              >
                <Input.TextArea rows={2} maxLength={500} />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={adjust.isPending}>
                {t('corr.post')}
              </Button>
            </Form>
          </Card>
          <SectionTitle>{t('corr.history')}</SectionTitle>
          <ApiError error={ledger.error} />
          <Table<Row>
            rowKey="transactionId"
            {...listTable(ledger)}
            columns={[
              { title: t('common.date'), dataIndex: 'effectiveDate' },
              { title: t('ledger.kind'), render: (_, r) => labelOf(t, 'ledger.kind', r.kind) },
              { title: t('ledger.amount'), render: (_, r) => <Amount value={r.amount} signed /> },
              { title: t('ledger.balanceAfter'), render: (_, r) => <Amount value={r.balanceAfter} /> },
              { title: t('ledger.memo'), dataIndex: 'memo', ellipsis: true },
              { title: t('common.time'), render: (_, r) => formatInstant(r.createdAt) },
              {
                title: t('common.actions'),
                render: (_, r) =>
                  r.amount !== '0.00' && r.kind !== 'reversal' ? (
                    <Button size="small" onClick={() => setReversing(r)}>
                      {t('corr.reverse')}
                    </Button>
                  ) : null,
              },
            ]}
          />
        </>
      ) : (
        <Typography.Text type="secondary">{t('corr.pickFirst')}</Typography.Text>
      )}
      <Modal
        open={reversing !== null}
        title={t('corr.reverseTitle')}
        okText={t('corr.reverse')}
        cancelText={t('common.cancel')}
        okButtonProps={{ disabled: !reason.trim() }}
        confirmLoading={reverse.isPending}
        onCancel={() => setReversing(null)}
        onOk={() => reversing && reverse.mutate({ id: reversing.transactionId, why: reason.trim() })}
      >
        <Typography.Paragraph>
          {reversing ? `${reversing.effectiveDate} ${reversing.memo} ${reversing.amount}` : ''}
        </Typography.Paragraph>
        <ReasonInput value={reason} onChange={setReason} />
      </Modal>
    </Space>
  )
}

function reject(t: ReturnType<typeof useT>, problem: Parameters<typeof say>[1]) {
  return problem ? Promise.reject(new Error(say(t, problem))) : Promise.resolve()
}
