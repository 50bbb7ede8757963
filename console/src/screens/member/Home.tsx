import { useQuery } from '@tanstack/react-query'
import { Card, Col, Row, Space, Statistic, Tag, Typography } from 'antd'
import { Link } from 'react-router'
import { useT } from '../../i18n'
import { api } from '../../lib/api'
import { formatDecimal } from '../../lib/decimal'
import { useWorkspace } from '../../lib/session'
import { ApiError } from '../../lib/ui'

export function useMemberId(): string {
  const { me } = useWorkspace()
  if (!me.member) throw new Error('no member record')
  return me.member.id
}

/**
 * The member's balance, read afresh whenever a screen showing it opens or the window regains focus: others change
 * it (the clerk hands out a reward at the counter, a round is finalized), and it is the cheapest read of the API.
 */
export function useBalance(memberId: string) {
  return useQuery({
    queryKey: ['balance', memberId],
    staleTime: 0,
    refetchOnWindowFocus: true,
    queryFn: async () =>
      (await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: memberId } } })).data,
  })
}

/** The member's first screen: balance, held, available, lifetime and volunteer star. Kept light (budget). */
export default function MemberHome() {
  const t = useT()
  const { me } = useWorkspace()
  const memberId = useMemberId()
  const balance = useBalance(memberId)
  const b = balance.data
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('member.hello', { name: me.member?.name ?? '' })}
      </Typography.Title>
      <ApiError error={balance.error} />
      <Row gutter={[12, 12]}>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic
              title={t('member.balance')}
              value={formatDecimal(b?.balance)}
              loading={balance.isLoading}
              valueRender={(node) => <span data-testid="balance">{node}</span>}
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={t('member.held')} value={formatDecimal(b?.held)} loading={balance.isLoading} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic
              title={t('member.available')}
              value={formatDecimal(b?.available)}
              loading={balance.isLoading}
              valueRender={(node) => <span data-testid="available">{node}</span>}
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic
              title={t('member.lifetime')}
              value={formatDecimal(b?.lifetimeEarned)}
              loading={balance.isLoading}
            />
          </Card>
        </Col>
      </Row>
      <Card size="small">
        <Space wrap>
          <Typography.Text>{t('member.star')}</Typography.Text>
          {b?.volunteerStar ? <Tag color="gold">{b.volunteerStar}</Tag> : <Tag>{t('member.noStar')}</Tag>}
        </Space>
      </Card>
      <Space wrap>
        <Link to="/member/ledger">{t('nav.member.ledger')}</Link>
        <Link to="/member/rewards">{t('nav.member.rewards')}</Link>
        <Link to="/member/activities">{t('nav.member.activities')}</Link>
        <Link to="/member/standing">{t('nav.member.standing')}</Link>
        <Link to="/member/code">{t('nav.member.code')}</Link>
      </Space>
    </Space>
  )
}
