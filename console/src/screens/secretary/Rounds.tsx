import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Checkbox, Form, Input, InputNumber, Modal, Select, Space, Table, Tag } from 'antd'
import { useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { activeRubricOf, EnumSelect, listTable, PageTitle, StatusFilter, say, today, useRubrics } from './kit'
import { defaultQuorum, roundProblems } from './rules'

type Round = ItemOf<'listScoringRounds'>

const STATUS_COLOR = {
  scoring: 'processing',
  publicity: 'warning',
  finalized: 'success',
} as const satisfies Record<Round['status'], string>
const ROUND_STATUSES = Object.keys(STATUS_COLOR) as Round['status'][]

/** Users who may sit on the unit's panel: panelists and secretaries over it. */
export function usePanelCandidates(orgUnitId: string) {
  return useQuery({
    queryKey: ['users', orgUnitId, 'panel'],
    queryFn: async () => {
      const { data } = await api.GET('/api/v1/users', { params: { query: { orgUnitId, limit: 200 } } })
      return data.items.filter((u) => u.roles.some((g) => g.role === 'panelist' || g.role === 'secretary'))
    },
  })
}

interface RoundForm {
  rubricId: string
  periodStart: string
  periodEnd: string
  panelUserIds: string[]
  quorum?: number | null
  aggregation: 'mean' | 'median' | 'trimmed_mean'
  publicityDays?: number | null
}

function CreateRound({ open, onClose }: { open: boolean; onClose: () => void }) {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const navigate = useNavigate()
  const qc = useQueryClient()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [form] = Form.useForm<RoundForm>()
  const rubrics = useRubrics(unit)
  const users = usePanelCandidates(unit)
  const year = new Date().getFullYear()
  const active = activeRubricOf(rubrics.data, year)
  const panel = Form.useWatch('panelUserIds', form) ?? []
  const create = useMutation({
    mutationFn: async (v: RoundForm) =>
      (
        await api.POST('/api/v1/scoring-rounds', {
          body: {
            orgUnitId: unit,
            rubricId: v.rubricId,
            periodStart: v.periodStart,
            periodEnd: v.periodEnd,
            panelUserIds: v.panelUserIds,
            aggregation: v.aggregation,
            ...(v.quorum ? { quorum: v.quorum } : {}),
            ...(v.publicityDays !== null && v.publicityDays !== undefined
              ? { publicityDays: v.publicityDays }
              : {}),
          },
        })
      ).data,
    onSuccess: async (round) => {
      await qc.invalidateQueries({ queryKey: ['rounds'] })
      await qc.invalidateQueries({ queryKey: ['claims'] })
      message.success(t('rounds.created', { n: round.claimCount }))
      onClose()
      navigate(`/secretary/rounds/${round.id}`)
    },
    onError: notifyError,
  })
  return (
    <Modal
      open={open}
      title={t('rounds.new')}
      onCancel={onClose}
      okText={t('rounds.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      destroyOnClose
    >
      <Form<RoundForm>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          rubricId: active?.id,
          periodStart: `${year}-01-01`,
          periodEnd: today(),
          aggregation: 'mean',
          panelUserIds: [],
        }}
        onFinish={(v) => create.mutate(v)}
      >
        <Form.Item
          name="rubricId"
          label={t('rounds.rubric')}
          rules={[{ required: true, message: t('rule.required') }]}
        >
          <Select
            loading={rubrics.isLoading}
            options={(rubrics.data ?? [])
              .filter((r) => r.status === 'active')
              .map((r) => ({ value: r.id, label: `${r.year} ${r.name}` }))}
          />
        </Form.Item>
        <Space wrap>
          <Form.Item
            name="periodStart"
            label={t('rounds.periodStart')}
            rules={[{ required: true, message: t('rule.required') }]}
          >
            <Input type="date" />
          </Form.Item>
          <Form.Item
            name="periodEnd"
            label={t('rounds.periodEnd')}
            dependencies={['periodStart']}
            rules={[
              ({ getFieldValue }) => ({
                validator: (_, value: string) => {
                  const p = roundProblems({
                    periodStart: getFieldValue('periodStart'),
                    periodEnd: value,
                    panelUserIds: ['x'],
                  }).period
                  return p ? Promise.reject(new Error(say(t, p))) : Promise.resolve()
                },
              }),
            ]}
          >
            <Input type="date" />
          </Form.Item>
        </Space>
        <Form.Item
          name="panelUserIds"
          label={t('rounds.panel')}
          extra={t('rounds.panelHelp')}
          rules={[
            {
              validator: (_, value: string[]) => {
                const p = roundProblems({
                  periodStart: 'a',
                  periodEnd: 'a',
                  panelUserIds: value,
                }).panelUserIds
                return p ? Promise.reject(new Error(say(t, p))) : Promise.resolve()
              },
            },
          ]}
        >
          <Checkbox.Group
            options={(users.data ?? []).map((u) => ({
              value: u.id,
              label: `${u.username}（${[...new Set(u.roles.filter((g) => g.role === 'panelist' || g.role === 'secretary').map((g) => t(`role.${g.role}` as 'role.secretary')))].join('、')}）`,
            }))}
          />
        </Form.Item>
        <Space wrap>
          <Form.Item
            name="quorum"
            label={t('rounds.quorum')}
            extra={t('rounds.quorumDefault', { n: defaultQuorum(panel.length || 1) })}
            dependencies={['panelUserIds']}
            rules={[
              ({ getFieldValue }) => ({
                validator: (_, value: number | null) => {
                  const p = roundProblems({
                    periodStart: 'a',
                    periodEnd: 'a',
                    panelUserIds: getFieldValue('panelUserIds'),
                    quorum: value,
                  }).quorum
                  return p ? Promise.reject(new Error(say(t, p))) : Promise.resolve()
                },
              }),
            ]}
          >
            <InputNumber min={1} max={50} precision={0} />
          </Form.Item>
          <Form.Item name="aggregation" label={t('rounds.aggregation')}>
            <EnumSelect
              style={{ minWidth: 140 }}
              values={['mean', 'median', 'trimmed_mean'] as const}
              prefix="aggregation"
            />
          </Form.Item>
          <Form.Item
            name="publicityDays"
            label={t('rounds.publicityDays')}
            extra={t('rounds.publicityDefault')}
          >
            <InputNumber min={0} max={60} precision={0} />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  )
}

/** 评议轮次: every round of the unit by state, and a new one with its panel and aggregation. */
export default function Rounds() {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const [status, setStatus] = useState<Round['status'] | undefined>()
  const [creating, setCreating] = useState(false)
  const rounds = useQuery({
    queryKey: ['rounds', unit, status],
    queryFn: async () =>
      (
        await api.GET('/api/v1/scoring-rounds', {
          params: { query: { orgUnitId: unit, limit: 100, ...(status ? { status } : {}) } },
        })
      ).data.items,
  })
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle create={{ label: t('rounds.new'), onClick: () => setCreating(true) }}>
        {t('nav.secretary.rounds')}
      </PageTitle>
      <StatusFilter
        values={ROUND_STATUSES}
        prefix="roundStatus"
        placeholder={t('rounds.allStates')}
        width={180}
        value={status}
        onChange={setStatus}
      />
      <ApiError error={rounds.error} />
      <Table<Round>
        rowKey="id"
        {...listTable(rounds)}
        pagination={false}
        columns={[
          {
            title: t('rounds.period'),
            render: (_, r) => (
              <Link to={`/secretary/rounds/${r.id}`}>
                {r.periodStart} – {r.periodEnd}
              </Link>
            ),
          },
          {
            title: t('common.status'),
            dataIndex: 'status',
            render: (s: Round['status']) => <Tag color={STATUS_COLOR[s]}>{labelOf(t, 'roundStatus', s)}</Tag>,
          },
          { title: t('rounds.claims'), dataIndex: 'claimCount' },
          { title: t('rounds.quorum'), render: (_, r) => `${r.quorum} / ${r.panelUserIds.length}` },
          { title: t('rounds.aggregation'), render: (_, r) => labelOf(t, 'aggregation', r.aggregation) },
          { title: t('rounds.publicityEnds'), render: (_, r) => formatInstant(r.publicityEndsAt) },
        ]}
      />
      <CreateRound open={creating} onClose={() => setCreating(false)} />
    </Space>
  )
}
