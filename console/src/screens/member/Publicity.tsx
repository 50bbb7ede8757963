import { useMutation, useQuery } from '@tanstack/react-query'
import { App, Button, Card, Empty, Input, Modal, Space, Table, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api } from '../../lib/api'
import { Amount, ApiError, formatInstant, useNotifyError } from '../../lib/ui'

type Round = Awaited<ReturnType<typeof listRounds>>['items'][number]
type Result = Awaited<ReturnType<typeof listResults>>['items'][number]

async function listRounds() {
  return (await api.GET('/api/v1/scoring-rounds', { params: { query: { status: 'publicity', limit: 20 } } }))
    .data
}
async function listResults(id: string) {
  return (
    await api.GET('/api/v1/scoring-rounds/{id}/results', { params: { path: { id }, query: { limit: 200 } } })
  ).data
}

function RoundResults({ round }: { round: Round }) {
  const t = useT()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [objecting, setObjecting] = useState<Result | null>(null)
  const [reason, setReason] = useState('')
  const results = useQuery({ queryKey: ['results', round.id], queryFn: () => listResults(round.id) })
  const object = useMutation({
    mutationFn: async () =>
      api.POST('/api/v1/claims/{id}/objections', {
        params: { path: { id: objecting!.claimId } },
        body: { reason: reason.trim() },
      }),
    onSuccess: async () => {
      message.success(t('publicity.filed'))
      setObjecting(null)
      setReason('')
      await results.refetch()
    },
    onError: notifyError,
  })
  const open = round.publicityEndsAt !== null && new Date(round.publicityEndsAt) > new Date()
  return (
    <Card
      size="small"
      title={`${round.periodStart} – ${round.periodEnd}`}
      extra={`${t('publicity.until')} ${formatInstant(round.publicityEndsAt)}`}
    >
      <ApiError error={results.error} />
      <Table<Result>
        size="small"
        rowKey="claimId"
        loading={results.isLoading}
        dataSource={results.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 520 }}
        columns={[
          { title: t('publicity.member'), dataIndex: 'memberName' },
          { title: t('publicity.item'), dataIndex: 'itemCode' },
          {
            title: t('publicity.result'),
            dataIndex: 'result',
            align: 'right',
            render: (v: string | null) => <Amount value={v} />,
          },
          {
            title: t('publicity.objections'),
            key: 'objections',
            render: (_: unknown, r: Result) =>
              r.objections.length
                ? r.objections.map((o) => labelOf(t, 'objection.status', o.status)).join('、')
                : '—',
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r: Result) =>
              open ? (
                <Button size="small" onClick={() => setObjecting(r)}>
                  {t('publicity.object')}
                </Button>
              ) : null,
          },
        ]}
      />
      <Modal
        open={objecting !== null}
        title={t('publicity.objectTitle', { name: objecting?.memberName ?? '' })}
        okText={t('publicity.object')}
        cancelText={t('common.cancel')}
        confirmLoading={object.isPending}
        okButtonProps={{ disabled: reason.trim().length === 0 }}
        onOk={() => object.mutate()}
        onCancel={() => setObjecting(null)}
      >
        <Input.TextArea
          aria-label={t('common.reason')}
          placeholder={t('common.reason')}
          value={reason}
          maxLength={1000}
          onChange={(e) => setReason(e.target.value)}
        />
      </Modal>
    </Card>
  )
}

/** 公示: rounds of the member's branch on public notice, their results, and an objection (异议) while it runs. */
export default function Publicity() {
  const t = useT()
  const rounds = useQuery({ queryKey: ['rounds', 'publicity'], queryFn: listRounds })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.member.publicity')}
      </Typography.Title>
      <ApiError error={rounds.error} />
      {rounds.data?.items.length === 0 ? <Empty description={t('publicity.none')} /> : null}
      {rounds.data?.items.map((r) => (
        <RoundResults key={r.id} round={r} />
      ))}
    </Space>
  )
}
