import { useQuery } from '@tanstack/react-query'
import { Card, Descriptions, Space, Tag, Typography } from 'antd'
import { useT } from '../../i18n'
import { api } from '../../lib/api'
import { formatDecimal } from '../../lib/decimal'
import { ApiError } from '../../lib/ui'

/** 亮积分: the member's rank in their branch this year, grade and what the next grade needs. */
export default function Standing() {
  const t = useT()
  const standing = useQuery({
    queryKey: ['my-standing'],
    queryFn: async () =>
      (await api.GET('/api/v1/me/standing', { params: { query: { year: new Date().getFullYear() } } })).data,
  })
  const s = standing.data
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.member.standing')}
      </Typography.Title>
      <ApiError error={standing.error} />
      {s ? (
        <Card size="small" title={`${s.orgUnitName} · ${s.year}`}>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
            <Descriptions.Item label={t('standing.rank')}>
              {s.rank} / {s.members}
            </Descriptions.Item>
            <Descriptions.Item label={t('standing.points')}>{formatDecimal(s.points)}</Descriptions.Item>
            <Descriptions.Item label={t('standing.hours')}>{formatDecimal(s.hours)}</Descriptions.Item>
            <Descriptions.Item label={t('standing.grade')}>
              {s.grade ? <Tag color="red">{s.grade}</Tag> : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('standing.next')}>
              {s.nextGrade
                ? t('standing.gap', { grade: s.nextGrade, points: formatDecimal(s.pointsToNextGrade) })
                : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('member.star')}>
              {s.volunteerStar ?? '—'} ({formatDecimal(s.volunteerHours)} {t('common.hours')})
            </Descriptions.Item>
          </Descriptions>
        </Card>
      ) : null}
    </Space>
  )
}
