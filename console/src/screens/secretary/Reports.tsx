import { useQuery } from '@tanstack/react-query'
import { Card, InputNumber, Space, Table, Typography } from 'antd'
import { useState } from 'react'
import { useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { Amount, ApiError } from '../../lib/ui'
import { FileButton, listTable, PageTitle, SectionTitle } from './kit'

type Rank = ItemOf<'getRanking'>

/** 排名与报表: the year's ranking, and every report as a CSV file (opens in Excel and WPS). */
export default function Reports() {
  const t = useT()
  const { workspace } = useWorkspace()
  const orgUnitId = workspace.orgUnitId
  const [year, setYear] = useState(new Date().getFullYear())
  const from = `${year}-01-01`
  const to = `${year}-12-31`
  const ranking = useQuery({
    queryKey: ['ranking', orgUnitId, year],
    queryFn: async () =>
      (await api.GET('/api/v1/reports/ranking', { params: { query: { orgUnitId, year, limit: 200 } } })).data
        .items,
  })
  const blob = (p: Promise<{ data?: unknown }>) => p.then((r) => r.data as Blob)
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>{t('nav.secretary.reports')}</PageTitle>
      <Space wrap>
        <label htmlFor="vp-report-year">{t('reports.year')}</label>
        <InputNumber
          id="vp-report-year"
          min={2000}
          max={2100}
          precision={0}
          value={year}
          onChange={(v) => v && setYear(v)}
        />
      </Space>
      <Card size="small" title={t('reports.files')}>
        <Space wrap>
          <FileButton
            primary
            label={t('reports.rankingCsv')}
            filename={`积分排名-${year}.csv`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/ranking.csv', {
                  params: { query: { orgUnitId, year } },
                  parseAs: 'blob',
                }),
              )
            }
          />
          <FileButton
            label={t('reports.rankingPdf')}
            filename={`积分排名-${year}.pdf`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/ranking.pdf', {
                  params: { query: { orgUnitId, year } },
                  parseAs: 'blob',
                }),
              )
            }
          />
          <FileButton
            label={t('reports.summaryCsv')}
            filename={`汇总-${year}.csv`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/summary.csv', {
                  params: { query: { orgUnitId, from, to } },
                  parseAs: 'blob',
                }),
              )
            }
          />
          <FileButton
            label={t('reports.monthlyCsv')}
            filename={`月度-${year}.csv`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/monthly.csv', {
                  params: { query: { orgUnitId, year } },
                  parseAs: 'blob',
                }),
              )
            }
          />
          <FileButton
            label={t('reports.byActivityCsv')}
            filename={`活动-${year}.csv`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/by-activity.csv', {
                  params: { query: { orgUnitId, from, to } },
                  parseAs: 'blob',
                }),
              )
            }
          />
          <FileButton
            label={t('reports.byTeamCsv')}
            filename={`服务队-${year}.csv`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/by-team.csv', {
                  params: { query: { orgUnitId, from, to } },
                  parseAs: 'blob',
                }),
              )
            }
          />
          <FileButton
            label={t('reports.inactiveCsv')}
            filename={`未参与-${year}.csv`}
            fetch={() =>
              blob(
                api.GET('/api/v1/reports/inactive-members.csv', {
                  params: { query: { orgUnitId, year } },
                  parseAs: 'blob',
                }),
              )
            }
          />
        </Space>
      </Card>
      <SectionTitle>{t('reports.ranking', { year })}</SectionTitle>
      <ApiError error={ranking.error} />
      <Table<Rank>
        rowKey="memberId"
        {...listTable(ranking)}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('reports.rank'), dataIndex: 'rank', width: 60 },
          { title: t('members.name'), dataIndex: 'name' },
          { title: t('reports.points'), render: (_, r) => <Amount value={r.points} /> },
          { title: t('reports.hours'), render: (_, r) => <Amount value={r.hours} /> },
          { title: t('reports.grade'), render: (_, r) => r.grade ?? '—' },
        ]}
      />
      <Typography.Text type="secondary">{t('reports.rankingHelp')}</Typography.Text>
    </Space>
  )
}
