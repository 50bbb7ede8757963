import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import {
  App,
  Button,
  Descriptions,
  Drawer,
  Empty,
  Form,
  Grid,
  Input,
  InputNumber,
  List,
  Segmented,
  Space,
  Tag,
  Typography,
} from 'antd'
import { useEffect, useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { type AnswerOf, api, type ItemOf } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError, useNotifyError } from '../../lib/ui'
import { PageTitle, say } from '../secretary/kit'
import { pointsBounds, pointsProblem, RATINGS, type Rating, ratingProblem, scoreBody } from './score'

type Round = ItemOf<'listScoringRounds'>
type RoundClaim = AnswerOf<'getScoringRound'>['claims'][number]
type Detail = NonNullable<RoundClaim['detail']>
type RubricItem = AnswerOf<'getRubric'>['items'][number]

/**
 * 评分 (the panel's queue): the rounds being scored where the user sits on the panel, each round's claims with
 * the member's name and their evidence (read from getScoringRound's `detail`, which the panel gets whether or not
 * it may list members or read activities: one call per round), the rubric item and its ceiling, and the score
 * form (time, content, quality 0-5; points within the ceiling). Claims of the user's own member record are shown
 * as recused, without a form. Other panelists' scores are never shown (the API hides them until close). Used by
 * panelists and, for a secretary on the panel, from the secretary's menu.
 */
export default function Queue() {
  const t = useT()
  const { me, workspace } = useWorkspace()
  const rounds = useQuery({
    queryKey: ['rounds', 'panel', me.user.id],
    queryFn: async () =>
      (
        await api.GET('/api/v1/scoring-rounds', { params: { query: { status: 'scoring', limit: 100 } } })
      ).data.items.filter((r) => r.panelUserIds.includes(me.user.id)),
  })
  const [roundId, setRoundId] = useState<string | undefined>()
  const current = rounds.data?.find((r) => r.id === roundId) ?? rounds.data?.[0]
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>
        {t(workspace.role === 'secretary' ? 'nav.secretary.scoring' : 'nav.panelist.queue')}
      </PageTitle>
      <ApiError error={rounds.error} />
      {rounds.data && rounds.data.length === 0 ? <Empty description={t('queue.noRounds')} /> : null}
      {rounds.data && rounds.data.length > 1 ? (
        <Segmented
          aria-label={t('queue.round')}
          value={current?.id}
          onChange={(v) => setRoundId(String(v))}
          options={rounds.data.map((r) => ({ value: r.id, label: `${r.periodStart} – ${r.periodEnd}` }))}
        />
      ) : null}
      {current ? <RoundQueue round={current} /> : null}
    </Space>
  )
}

function RoundQueue({ round }: { round: Round }) {
  const t = useT()
  const [scoring, setScoring] = useState<string | null>(null)
  const detail = useQuery({
    queryKey: ['round', round.id],
    queryFn: async () =>
      (await api.GET('/api/v1/scoring-rounds/{id}', { params: { path: { id: round.id } } })).data,
  })
  const rubric = useQuery({
    queryKey: ['rubric', round.rubricId],
    staleTime: 10 * 60_000,
    queryFn: async () =>
      (await api.GET('/api/v1/rubrics/{id}', { params: { path: { id: round.rubricId } } })).data,
  })
  const items = new Map((rubric.data?.items ?? []).map((i) => [i.code, i]))
  const list = detail.data?.claims ?? []
  const todo = list.filter((c) => !c.recused && !c.scoredByMe && c.status === 'scoring').length
  const selected = list.find((c) => c.claimId === scoring) ?? null
  return (
    <>
      {detail.data ? (
        <Typography.Text data-testid="queue-summary">
          {t('queue.summary', { period: `${round.periodStart} – ${round.periodEnd}`, n: list.length, todo })}
        </Typography.Text>
      ) : null}
      <ApiError error={detail.error} />
      <List<RoundClaim>
        loading={detail.isLoading}
        dataSource={list}
        renderItem={(c) => {
          const claim = c.detail
          const item = items.get(c.itemCode)
          const who = claim?.memberName ?? null
          return (
            <List.Item
              actions={
                c.recused
                  ? [<Tag key="r">{t('queue.recused')}</Tag>]
                  : c.status === 'scoring'
                    ? [
                        <Button
                          key="s"
                          type={c.scoredByMe ? 'default' : 'primary'}
                          size="small"
                          aria-label={`${c.scoredByMe ? t('queue.rescore') : t('queue.score')} ${who ?? ''} ${c.itemCode}`.trim()}
                          onClick={() => setScoring(c.claimId)}
                        >
                          {c.scoredByMe ? t('queue.rescore') : t('queue.score')}
                        </Button>,
                      ]
                    : [<Tag key="st">{labelOf(t, 'claimStatus', c.status)}</Tag>]
              }
            >
              <List.Item.Meta
                title={
                  <Space wrap size={4}>
                    {who ? <span>{who}</span> : null}
                    <span>{item ? `${c.itemCode} ${item.name}` : c.itemCode}</span>
                    {c.scoredByMe && c.myScore ? (
                      <Tag color="success">{t('queue.myScore', { points: c.myScore.points })}</Tag>
                    ) : null}
                    {c.recused ? <Tag color="default">{t('queue.ownClaim')}</Tag> : null}
                  </Space>
                }
                description={
                  <span>
                    {t('queue.ceiling')} <Amount value={c.ceiling} />
                    {claim ? ` · ${claim.occurredOn} · ${claim.description}` : ''}
                    {claim ? <EvidenceLine evidence={claim.evidence} /> : null}
                  </span>
                }
              />
            </List.Item>
          )
        }}
      />
      <ScoreDrawer
        roundId={round.id}
        roundClaim={selected}
        item={selected ? items.get(selected.itemCode) : undefined}
        onClose={() => setScoring(null)}
      />
    </>
  )
}

interface FormValues {
  time: number | null
  content: number | null
  quality: number | null
  points: string
  comment?: string
}

function ScoreDrawer(props: {
  roundId: string
  roundClaim: RoundClaim | null
  item: RubricItem | undefined
  onClose: () => void
}) {
  const t = useT()
  const qc = useQueryClient()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const wide = Grid.useBreakpoint().md !== false
  const [form] = Form.useForm<FormValues>()
  const c = props.roundClaim
  useEffect(() => {
    if (!c) return
    form.setFieldsValue(
      c.myScore
        ? { ...c.myScore, points: c.myScore.points, comment: c.myScore.comment ?? '' }
        : { time: null, content: null, quality: null, points: '', comment: '' },
    )
  }, [c, form])
  const submit = useMutation({
    mutationFn: async (v: FormValues) =>
      (
        await api.PUT('/api/v1/scoring-rounds/{id}/claims/{claimId}/score', {
          params: { path: { id: props.roundId, claimId: c!.claimId } },
          body: scoreBody(v),
        })
      ).data,
    onSuccess: async (s) => {
      message.success(t('queue.saved', { points: s.points }))
      props.onClose()
      await qc.invalidateQueries({ queryKey: ['round', props.roundId] })
    },
    onError: notifyError,
  })
  const bounds = c ? pointsBounds(c.ceiling) : { min: '0.00', max: '0.00' }
  const claim = c?.detail ?? null
  return (
    <Drawer
      open={c !== null}
      onClose={props.onClose}
      width={wide ? 520 : '100%'}
      title={t('queue.scoreTitle')}
      destroyOnClose
    >
      {c ? (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Descriptions size="small" column={1} bordered>
            {claim ? (
              <Descriptions.Item label={t('claims.member')}>{claim.memberName}</Descriptions.Item>
            ) : null}
            <Descriptions.Item label={t('queue.item')}>
              {props.item ? `${props.item.code} ${props.item.name}` : c.itemCode}
            </Descriptions.Item>
            {props.item ? (
              <Descriptions.Item label={t('queue.rule')}>
                {t('queue.ruleText', {
                  per: props.item.pointsPerUnit,
                  unit: labelOf(t, 'itemUnit', props.item.unit),
                  max: props.item.maxPerClaim,
                  cap: props.item.capPerYear,
                })}
              </Descriptions.Item>
            ) : null}
            <Descriptions.Item label={t('claims.ceiling')}>
              <strong data-testid="score-ceiling">
                <Amount value={c.ceiling} />
              </strong>
            </Descriptions.Item>
            {claim ? (
              <>
                <Descriptions.Item label={t('claims.occurredOn')}>{claim.occurredOn}</Descriptions.Item>
                <Descriptions.Item label={t('claims.quantity')}>
                  <Amount value={claim.quantity} />
                  {props.item?.unit === 'hour' ? ` ${t('common.hours')}` : ''}
                </Descriptions.Item>
                <Descriptions.Item label={t('claims.description')}>{claim.description}</Descriptions.Item>
                <Descriptions.Item label={t('queue.source')}>
                  {labelOf(t, 'claimSource', claim.source)}
                </Descriptions.Item>
              </>
            ) : null}
          </Descriptions>
          {claim ? <Evidence evidence={claim.evidence} /> : null}
          <Form<FormValues> form={form} layout="vertical" onFinish={(v) => submit.mutate(v)}>
            <Space wrap>
              {RATINGS.map((r: Rating) => (
                <Form.Item
                  key={r}
                  name={r}
                  label={t(`score.${r}`)}
                  rules={[{ validator: (_, v: number | null) => reject(t, ratingProblem(v)) }]}
                >
                  <InputNumber min={0} max={5} precision={0} style={{ width: 90 }} />
                </Form.Item>
              ))}
            </Space>
            <Form.Item
              name="points"
              label={t('score.points')}
              extra={t('score.pointsHelp', bounds)}
              rules={[{ validator: (_, v: string) => reject(t, pointsProblem(v, c.ceiling)) }]}
            >
              <Input inputMode="decimal" style={{ width: 140 }} />
            </Form.Item>
            <Form.Item name="comment" label={t('score.comment')}>
              <Input.TextArea rows={2} maxLength={2000} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={submit.isPending}>
              {t('queue.submit')}
            </Button>
          </Form>
        </Space>
      ) : null}
    </Drawer>
  )
}

function reject(t: ReturnType<typeof useT>, problem: Parameters<typeof say>[1]) {
  return problem ? Promise.reject(new Error(say(t, problem))) : Promise.resolve()
}

/** One line under a claim in the queue: how much evidence it has, by kind (the drawer lists it). */
function EvidenceLine({ evidence }: { evidence: Detail['evidence'] }) {
  const t = useT()
  const parts = [
    evidence.activities.length ? t('queue.activities', { n: evidence.activities.length }) : null,
    evidence.serviceRequests.length ? t('queue.requests', { n: evidence.serviceRequests.length }) : null,
    evidence.links.length ? t('queue.links', { n: evidence.links.length }) : null,
  ].filter((p): p is string => p !== null)
  return parts.length ? <span data-testid="queue-evidence">{` · ${parts.join('，')}`}</span> : null
}

/**
 * The claim's evidence as the round gives it to the panel: each activity with its date and the member's verified
 * hours, each service request with its completion date, hours and the resident's rating, and the links.
 */
function Evidence({ evidence }: { evidence: Detail['evidence'] }) {
  const t = useT()
  if (!evidence.activities.length && !evidence.serviceRequests.length && !evidence.links.length)
    return <Typography.Text type="secondary">{t('queue.noEvidence')}</Typography.Text>
  return (
    <div data-testid="score-evidence">
      <Typography.Text strong>{t('queue.evidence')}</Typography.Text>
      <ul style={{ margin: '4px 0 0', paddingInlineStart: 20 }}>
        {evidence.activities.map((a) => (
          <li key={a.id}>
            {t('queue.activity', { title: a.title, on: a.date ?? '—', hours: a.hours ?? '—' })}
          </li>
        ))}
        {evidence.serviceRequests.map((r) => (
          <li key={r.id}>
            {t('queue.request', {
              title: r.title,
              on: r.completedOn ?? '—',
              hours: r.hours ?? '—',
              rating: r.rating ?? '—',
            })}
          </li>
        ))}
        {evidence.links.map((href) => (
          <li key={href}>
            <a href={href} target="_blank" rel="noreferrer noopener">
              {href}
            </a>
          </li>
        ))}
      </ul>
    </div>
  )
}
