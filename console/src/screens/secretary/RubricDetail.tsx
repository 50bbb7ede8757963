import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Input, Space, Table, Tag, Typography } from 'antd'
import { useEffect, useState } from 'react'
import { useParams } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { type AnswerOf, api, isProblem } from '../../lib/api'
import { enumValues } from '../../lib/enums'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { EnumSelect, PageTitle, say } from './kit'
import { itemProblems } from './rules'

type Item = AnswerOf<'getRubric'>['items'][number]
type Row = Omit<Item, 'nameEn'> & { nameEn: string | null; key: number }
const ITEM_KINDS = enumValues<Item['kind']>()(['award', 'deduction'])
const ITEM_UNITS = enumValues<Item['unit']>()(['hour', 'occurrence', 'fixed'])

let nextKey = 1

/** One rubric: its items, editable while a draft (every problem shown at once), then activate. */
export default function RubricDetail() {
  const t = useT()
  const { id = '' } = useParams()
  const qc = useQueryClient()
  const { message, modal } = App.useApp()
  const notifyError = useNotifyError()
  const rubric = useQuery({
    queryKey: ['rubric', id],
    queryFn: async () => (await api.GET('/api/v1/rubrics/{id}', { params: { path: { id } } })).data,
  })
  const [rows, setRows] = useState<Row[]>([])
  const [dirty, setDirty] = useState(false)
  const [tried, setTried] = useState(false)
  useEffect(() => {
    if (rubric.data && !dirty) setRows(rubric.data.items.map((i) => ({ ...i, key: nextKey++ })))
  }, [rubric.data, dirty])
  const problems = itemProblems(rows)
  const save = useMutation({
    mutationFn: async () =>
      (
        await api.PUT('/api/v1/rubrics/{id}/items', {
          params: { path: { id } },
          body: {
            items: rows.map(({ key: _k, ...i }) => ({
              ...i,
              code: i.code.trim(),
              name: i.name.trim(),
              pointsPerUnit: i.pointsPerUnit.trim(),
              maxPerClaim: i.maxPerClaim.trim(),
              capPerYear: i.capPerYear.trim(),
            })),
          },
        })
      ).data,
    onSuccess: async () => {
      setDirty(false)
      setTried(false)
      message.success(t('rubric.saved'))
      await qc.invalidateQueries({ queryKey: ['rubric', id] })
      await qc.invalidateQueries({ queryKey: ['rubrics'] })
    },
    onError: notifyError,
  })
  const activate = useMutation({
    mutationFn: async () =>
      (await api.POST('/api/v1/rubrics/{id}/activate', { params: { path: { id } } })).data,
    onSuccess: async () => {
      message.success(t('rubric.activated'))
      await qc.invalidateQueries({ queryKey: ['rubric', id] })
      await qc.invalidateQueries({ queryKey: ['rubrics'] })
    },
    onError: (e) => {
      if (isProblem(e, 'conflict') && e.problem.activeRubricId) message.error(t('rubric.otherActive'))
      else notifyError(e)
    },
  })
  const r = rubric.data
  if (!r) return <ApiError error={rubric.error} />
  const draft = r.status === 'draft'
  const set = (key: number, patch: Partial<Row>) => {
    setDirty(true)
    setRows((rs) => rs.map((x) => (x.key === key ? { ...x, ...patch } : x)))
  }
  const cell = (
    row: Row,
    index: number,
    field: 'code' | 'name' | 'pointsPerUnit' | 'maxPerClaim' | 'capPerYear',
    width: number,
  ) => {
    if (!draft) return row[field]
    const p = tried ? problems[`${index}.${field}`] : undefined
    return (
      <div style={{ minWidth: width }}>
        <Input
          size="small"
          aria-label={`${t(`rubric.${field}`)} ${index + 1}`}
          status={p ? 'error' : undefined}
          value={row[field]}
          onChange={(e) => set(row.key, { [field]: e.target.value })}
          inputMode={field === 'code' || field === 'name' ? undefined : 'decimal'}
        />
        {p ? (
          <Typography.Text type="danger" style={{ fontSize: 12 }}>
            {say(t, p)}
          </Typography.Text>
        ) : null}
      </div>
    )
  }
  const choice = <F extends 'kind' | 'unit'>(
    row: Row,
    field: F,
    values: readonly Row[F][],
    prefix: string,
  ) =>
    draft ? (
      <EnumSelect<Row[F]>
        size="small"
        aria-label={t(`rubric.${field}`)}
        value={row[field]}
        style={{ width: 90 }}
        onChange={(value) => set(row.key, { [field]: value })}
        values={values}
        prefix={prefix}
      />
    ) : (
      labelOf(t, prefix, row[field])
    )
  const problemCount = Object.keys(problems).length
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>
        {r.year} {r.name}{' '}
        <Tag color={draft ? 'default' : 'success'}>{labelOf(t, 'rubricStatus', r.status)}</Tag>
      </PageTitle>
      {draft ? (
        <Alert type="info" showIcon message={t('rubric.draftHelp')} />
      ) : (
        <Typography.Text type="secondary">
          {t('rubric.activeHelp', { at: formatInstant(r.activatedAt) })}
        </Typography.Text>
      )}
      {draft ? (
        <Space wrap>
          <Button
            onClick={() => {
              setDirty(true)
              setRows((rs) => [
                ...rs,
                {
                  key: nextKey++,
                  code: '',
                  name: '',
                  nameEn: null,
                  kind: 'award',
                  unit: 'occurrence',
                  pointsPerUnit: '1.00',
                  maxPerClaim: '1.00',
                  capPerYear: '12.00',
                },
              ])
            }}
          >
            {t('rubric.addItem')}
          </Button>
          <Button
            type="primary"
            disabled={!dirty}
            loading={save.isPending}
            onClick={() => {
              setTried(true)
              if (problemCount === 0) save.mutate()
              else message.error(t('rubric.fix', { n: problemCount }))
            }}
          >
            {t('common.save')}
          </Button>
          <Button
            disabled={dirty}
            loading={activate.isPending}
            onClick={() =>
              modal.confirm({
                title: t('rubric.activateConfirm'),
                content: t('rubric.activateBody', { year: r.year }),
                okText: t('rubric.activate'),
                cancelText: t('common.cancel'),
                onOk: () => activate.mutateAsync().catch(() => {}),
              })
            }
          >
            {t('rubric.activate')}
          </Button>
        </Space>
      ) : null}
      <Table<Row>
        rowKey="key"
        size="small"
        pagination={false}
        scroll={{ x: true }}
        dataSource={rows}
        columns={[
          { title: t('rubric.code'), render: (_, row, i) => cell(row, i, 'code', 70) },
          { title: t('rubric.name'), render: (_, row, i) => cell(row, i, 'name', 180) },
          { title: t('rubric.kind'), render: (_, row) => choice(row, 'kind', ITEM_KINDS, 'itemKind') },
          { title: t('rubric.unit'), render: (_, row) => choice(row, 'unit', ITEM_UNITS, 'itemUnit') },
          { title: t('rubric.pointsPerUnit'), render: (_, row, i) => cell(row, i, 'pointsPerUnit', 70) },
          { title: t('rubric.maxPerClaim'), render: (_, row, i) => cell(row, i, 'maxPerClaim', 70) },
          { title: t('rubric.capPerYear'), render: (_, row, i) => cell(row, i, 'capPerYear', 70) },
          ...(draft
            ? [
                {
                  title: t('common.actions'),
                  render: (_: unknown, row: Row, i: number) => (
                    <Button
                      size="small"
                      aria-label={`${t('rubric.removeItem')} ${i + 1}`}
                      onClick={() => {
                        setDirty(true)
                        setRows((rs) => rs.filter((x) => x.key !== row.key))
                      }}
                    >
                      {t('rubric.removeItem')}
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
    </Space>
  )
}
