import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import {
  Alert,
  App,
  Button,
  Descriptions,
  Form,
  Input,
  List,
  Modal,
  Radio,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd'
import { useState } from 'react'
import { useParams } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { type AnswerOf, api, type ItemOf, isProblem } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { FileButton, listTable, PageTitle, SectionTitle, useMemberNames } from './kit'

type RoundClaim = AnswerOf<'getScoringRound'>['claims'][number]
type Result = ItemOf<'getRoundResults'>
type Objection = ItemOf<'listObjections'>
type Short = { claimId: string; scores: number; required: number }

/**
 * One round at the secretary's desk: the panel's progress (how many scores each claim has, never the values
 * before close), close (a quorum problem is shown on each claim short of it), the results with divergent claims
 * marked, the 公示 sheet to print, the objections to answer, and finalize.
 */
export default function RoundDetail() {
  const t = useT()
  const { id = '' } = useParams()
  const { workspace } = useWorkspace()
  const nameOf = useMemberNames(workspace.orgUnitId)
  const qc = useQueryClient()
  const { message, modal } = App.useApp()
  const notifyError = useNotifyError()
  const [short, setShort] = useState<Short[] | null>(null)
  const [answering, setAnswering] = useState<Objection | null>(null)

  const round = useQuery({
    queryKey: ['round', id],
    staleTime: 0,
    queryFn: async () => (await api.GET('/api/v1/scoring-rounds/{id}', { params: { path: { id } } })).data,
  })
  const closedOnce = round.data?.closedAt != null
  const results = useQuery({
    queryKey: ['round-results', id],
    staleTime: 0,
    enabled: closedOnce,
    queryFn: async () =>
      (
        await api.GET('/api/v1/scoring-rounds/{id}/results', {
          params: { path: { id }, query: { limit: 200 } },
        })
      ).data.items,
  })
  const objections = useQuery({
    queryKey: ['objections', id],
    staleTime: 0,
    enabled: closedOnce,
    queryFn: async () =>
      (await api.GET('/api/v1/objections', { params: { query: { roundId: id } } })).data.items,
  })
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['round', id] }),
      qc.invalidateQueries({ queryKey: ['round-results', id] }),
      qc.invalidateQueries({ queryKey: ['objections'] }),
      qc.invalidateQueries({ queryKey: ['rounds'] }),
    ])

  const close = useMutation({
    mutationFn: async () =>
      (await api.POST('/api/v1/scoring-rounds/{id}/close', { params: { path: { id } } })).data,
    onSuccess: async (r) => {
      setShort(null)
      message.success(t('round.closed', { at: formatInstant(r.publicityEndsAt) }))
      await refresh()
    },
    onError: (e) => {
      if (isProblem(e, 'quorum_not_met')) {
        const claims = (e.problem.claims ?? []) as Short[]
        setShort(
          claims.length
            ? claims
            : (e.problem.claimIds ?? []).map((claimId) => ({ claimId, scores: 0, required: 0 })),
        )
      }
      notifyError(e)
    },
  })
  const finalize = useMutation({
    mutationFn: async () =>
      (await api.POST('/api/v1/scoring-rounds/{id}/finalize', { params: { path: { id } } })).data,
    onSuccess: async (r) => {
      message.success(t('round.finalized', { n: r.posted, points: r.totalPoints }))
      await refresh()
      await qc.invalidateQueries({ queryKey: ['balance'] })
    },
    onError: notifyError,
  })

  const r = round.data
  if (!r) return <ApiError error={round.error} />
  const shortOf = new Map((short ?? []).map((s) => [s.claimId, s]))
  const openObjections = (objections.data ?? []).filter((o) => o.status === 'open')
  const publicityOver = r.publicityEndsAt !== null && Date.parse(r.publicityEndsAt) <= Date.now()
  const title = `${r.periodStart} – ${r.periodEnd}`

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>
        {t('round.title', { period: title })}{' '}
        <Tag
          color={r.status === 'finalized' ? 'success' : r.status === 'publicity' ? 'warning' : 'processing'}
        >
          {labelOf(t, 'roundStatus', r.status)}
        </Tag>
      </PageTitle>
      <Descriptions size="small" bordered column={{ xs: 1, sm: 2, md: 3 }}>
        <Descriptions.Item label={t('rounds.claims')}>{r.claimCount}</Descriptions.Item>
        <Descriptions.Item
          label={t('rounds.quorum')}
        >{`${r.quorum} / ${r.panelUserIds.length}`}</Descriptions.Item>
        <Descriptions.Item label={t('rounds.aggregation')}>
          {labelOf(t, 'aggregation', r.aggregation)}
        </Descriptions.Item>
        <Descriptions.Item label={t('round.closedAt')}>{formatInstant(r.closedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('rounds.publicityEnds')}>
          {formatInstant(r.publicityEndsAt)}
        </Descriptions.Item>
        <Descriptions.Item label={t('round.finalizedAt')}>{formatInstant(r.finalizedAt)}</Descriptions.Item>
      </Descriptions>
      <Space wrap>
        <Button onClick={() => void refresh()}>{t('common.refresh')}</Button>
        {r.status === 'scoring' ? (
          <Button type="primary" loading={close.isPending} onClick={() => close.mutate()}>
            {t('round.close')}
          </Button>
        ) : null}
        {r.status === 'publicity' ? (
          <Button
            type="primary"
            loading={finalize.isPending}
            onClick={() =>
              modal.confirm({
                title: t('round.finalizeConfirm'),
                content: publicityOver
                  ? t('round.finalizeBody')
                  : t('round.publicityRuns', { at: formatInstant(r.publicityEndsAt) }),
                okText: t('round.finalize'),
                cancelText: t('common.cancel'),
                onOk: () => finalize.mutateAsync().catch(() => {}),
              })
            }
          >
            {t('round.finalize')}
          </Button>
        ) : null}
        {closedOnce ? (
          <>
            <FileButton
              label={t('round.printSheet')}
              filename={`公示-${title}.pdf`}
              fetch={async () =>
                (
                  await api.GET('/api/v1/scoring-rounds/{id}/results.pdf', {
                    params: { path: { id } },
                    parseAs: 'blob',
                  })
                ).data as Blob
              }
            />
            <FileButton
              label={t('round.csv')}
              filename={`评议结果-${title}.csv`}
              fetch={async () =>
                (
                  await api.GET('/api/v1/scoring-rounds/{id}/results.csv', {
                    params: { path: { id } },
                    parseAs: 'blob',
                  })
                ).data as Blob
              }
            />
          </>
        ) : null}
      </Space>
      {short ? (
        <Alert
          type="warning"
          showIcon
          role="alert"
          message={t('round.quorumShort', { n: short.length })}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 20 }}>
              {short.map((s) => {
                const c = r.claims.find((x) => x.claimId === s.claimId)
                return (
                  <li key={s.claimId}>
                    {c ? `${nameOf(c.memberId)} · ${c.itemCode}` : s.claimId}
                    {s.required ? `：${t('round.scoresOf', { n: s.scores, required: s.required })}` : ''}
                  </li>
                )
              })}
            </ul>
          }
        />
      ) : null}

      {r.status === 'scoring' ? (
        <>
          <SectionTitle>{t('round.progress')}</SectionTitle>
          <Typography.Text type="secondary">{t('round.progressHelp')}</Typography.Text>
          <Table<RoundClaim>
            rowKey="claimId"
            size="small"
            pagination={false}
            scroll={{ x: true }}
            dataSource={r.claims}
            rowClassName={(c) => (shortOf.has(c.claimId) ? 'vp-row-warn' : '')}
            columns={[
              { title: t('claims.member'), render: (_, c) => nameOf(c.memberId) },
              { title: t('claims.item'), dataIndex: 'itemCode' },
              { title: t('claims.ceiling'), render: (_, c) => <Amount value={c.ceiling} /> },
              {
                title: t('round.scores'),
                render: (_, c) => {
                  const s = shortOf.get(c.claimId)
                  const enough = c.scoreCount >= r.quorum
                  return (
                    <Space size={4} wrap>
                      <span>{`${c.scoreCount} / ${r.quorum}`}</span>
                      {s ? (
                        <Tag color="error">{t('round.short', { n: Math.max(s.required - s.scores, 1) })}</Tag>
                      ) : enough ? (
                        <Tag color="success">{t('round.quorumMet')}</Tag>
                      ) : null}
                      {c.status !== 'scoring' ? <Tag>{labelOf(t, 'claimStatus', c.status)}</Tag> : null}
                    </Space>
                  )
                },
              },
            ]}
          />
        </>
      ) : null}

      {closedOnce ? (
        <>
          <SectionTitle>{t('round.results')}</SectionTitle>
          <ApiError error={results.error} />
          <Table<Result>
            rowKey="claimId"
            {...listTable(results)}
            pagination={false}
            rowClassName={(x) => (x.divergent ? 'vp-row-warn' : '')}
            columns={[
              { title: t('claims.member'), dataIndex: 'memberName' },
              { title: t('claims.item'), dataIndex: 'itemCode' },
              { title: t('claims.ceiling'), render: (_, x) => <Amount value={x.ceiling} /> },
              {
                title: t('round.result'),
                render: (_, x) =>
                  x.result === null ? <Tag>{t('round.rescoring')}</Tag> : <Amount value={x.result} />,
              },
              {
                title: t('round.spread'),
                render: (_, x) => (
                  <Space size={4}>
                    <Amount value={x.spread} />
                    {x.divergent ? <Tag color="error">{t('round.divergent')}</Tag> : null}
                  </Space>
                ),
              },
              {
                title: t('round.panelScores'),
                render: (_, x) => x.scores.map((s) => s.points).join(' / ') || '—',
              },
              { title: t('round.awarded'), render: (_, x) => <Amount value={x.awarded} /> },
              {
                title: t('round.objections'),
                render: (_, x) => (x.objections.length ? x.objections.length : '—'),
              },
            ]}
          />
          <SectionTitle>{t('round.objections')}</SectionTitle>
          <ApiError error={objections.error} />
          <List<Objection>
            size="small"
            bordered
            dataSource={objections.data ?? []}
            locale={{ emptyText: t('round.noObjections') }}
            renderItem={(o) => (
              <List.Item
                actions={
                  o.status === 'open'
                    ? [
                        <Button key="a" size="small" type="primary" onClick={() => setAnswering(o)}>
                          {t('round.answer')}
                        </Button>,
                      ]
                    : []
                }
              >
                <List.Item.Meta
                  title={
                    <Space wrap>
                      <span>{nameOf(o.memberId)}</span>
                      <Tag color={o.status === 'open' ? 'warning' : 'default'}>
                        {labelOf(t, 'objectionStatus', o.status)}
                      </Tag>
                      <Typography.Text type="secondary">{formatInstant(o.createdAt)}</Typography.Text>
                    </Space>
                  }
                  description={
                    <>
                      <div>{o.reason}</div>
                      {o.reply ? <div>{t('round.reply', { text: o.reply })}</div> : null}
                    </>
                  }
                />
              </List.Item>
            )}
          />
          {openObjections.length > 0 && r.status === 'publicity' ? (
            <Alert type="info" showIcon message={t('round.objectionsBlock', { n: openObjections.length })} />
          ) : null}
        </>
      ) : null}
      <Answer objection={answering} onClose={() => setAnswering(null)} onDone={refresh} />
    </Space>
  )
}

function Answer(props: { objection: Objection | null; onClose: () => void; onDone: () => Promise<unknown> }) {
  const t = useT()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [form] = Form.useForm<{ decision: 'upheld' | 'rescore'; reply: string }>()
  const resolve = useMutation({
    mutationFn: async (v: { decision: 'upheld' | 'rescore'; reply: string }) =>
      (
        await api.POST('/api/v1/objections/{id}/resolve', {
          params: { path: { id: props.objection!.id } },
          body: { decision: v.decision, reply: v.reply.trim() },
        })
      ).data,
    onSuccess: async () => {
      message.success(t('round.answered'))
      props.onClose()
      await props.onDone()
    },
    onError: notifyError,
  })
  return (
    <Modal
      open={props.objection !== null}
      title={t('round.answerTitle')}
      okText={t('round.answer')}
      cancelText={t('common.cancel')}
      onCancel={props.onClose}
      onOk={() => form.submit()}
      confirmLoading={resolve.isPending}
      destroyOnClose
    >
      <Typography.Paragraph>{props.objection?.reason}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{ decision: 'upheld' }}
        onFinish={(v) => resolve.mutate(v)}
      >
        <Form.Item name="decision" label={t('round.decision')}>
          <Radio.Group>
            <Radio value="upheld">{t('objectionStatus.upheld')}</Radio>
            <Radio value="rescore">{t('objectionStatus.rescore')}</Radio>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          name="reply"
          label={t('round.replyLabel')}
          rules={[{ required: true, whitespace: true, message: t('rule.required') }]}
        >
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
      </Form>
    </Modal>
  )
}
