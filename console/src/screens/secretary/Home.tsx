import { useQueries, useQuery } from '@tanstack/react-query'
import { Badge, Button, Card, Col, List, Row, Statistic, Tag, Typography } from 'antd'
import { Link, useNavigate } from 'react-router'
import { labelOf, useT } from '../../i18n'
import { api } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { ApiError, formatInstant } from '../../lib/ui'
import { PageTitle, useMemberNames } from './kit'

const DAY = 86_400_000

/**
 * 待办 (what waits for the secretary): activities to verify, claims not yet in a round, rounds by state with
 * their publicity deadlines, open objections, and, for a secretary who also keeps the community office,
 * reservations about to lapse (listRedemptions is the clerk's: a secretary alone cannot read them).
 */
export default function SecretaryHome() {
  const t = useT()
  const { me, workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const nameOf = useMemberNames(unit)
  const now = Date.now()
  const navigate = useNavigate()

  const activities = useQuery({
    queryKey: ['activities', unit, 'open'],
    queryFn: async () =>
      (
        await api.GET('/api/v1/activities', {
          params: { query: { orgUnitId: unit, status: 'open', limit: 200 } },
        })
      ).data,
  })
  const claims = useQuery({
    queryKey: ['claims', unit, 'submitted'],
    queryFn: async () =>
      (
        await api.GET('/api/v1/claims', {
          params: { query: { orgUnitId: unit, status: 'submitted', limit: 200 } },
        })
      ).data,
  })
  const rounds = useQuery({
    queryKey: ['rounds', unit],
    staleTime: 0,
    queryFn: async () =>
      (await api.GET('/api/v1/scoring-rounds', { params: { query: { orgUnitId: unit, limit: 50 } } })).data
        .items,
  })
  const onNotice = (rounds.data ?? []).filter((r) => r.status === 'publicity')
  const objections = useQueries({
    queries: onNotice.map((r) => ({
      queryKey: ['objections', r.id, 'open'],
      staleTime: 0,
      queryFn: async () =>
        (await api.GET('/api/v1/objections', { params: { query: { roundId: r.id, status: 'open' } } })).data
          .items,
    })),
  })
  const openObjections = objections.flatMap((q) => q.data ?? [])
  const clerkUnit = me.roles.find((g) => g.role === 'clerk')?.orgUnitId
  const lapsing = useQuery({
    queryKey: ['redemptions', clerkUnit, 'reserved'],
    enabled: clerkUnit !== undefined,
    queryFn: async () =>
      (
        await api.GET('/api/v1/redemptions', {
          params: { query: { orgUnitId: clerkUnit!, status: 'reserved', limit: 200 } },
        })
      ).data.items.filter((r) => r.expiresAt && Date.parse(r.expiresAt) - now < 2 * DAY),
  })

  const toVerify = (activities.data?.items ?? []).filter((a) => Date.parse(a.endsAt) <= now)
  const upcoming = (activities.data?.items.length ?? 0) - toVerify.length
  const waitingClaims = claims.data?.items.length ?? 0
  const byState = (s: 'scoring' | 'publicity' | 'finalized') =>
    (rounds.data ?? []).filter((r) => r.status === s)
  const more = (page: { nextCursor?: string | null } | undefined) => (page?.nextCursor ? '+' : '')

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <PageTitle>{t('nav.secretary.home')}</PageTitle>
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={t('home.toVerify')} value={`${toVerify.length}${more(activities.data)}`} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={t('home.claimsWaiting')} value={`${waitingClaims}${more(claims.data)}`} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={t('home.roundsScoring')} value={byState('scoring').length} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={t('home.openObjections')} value={openObjections.length} />
          </Card>
        </Col>
      </Row>
      <ApiError error={activities.error ?? claims.error ?? rounds.error} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card
            size="small"
            title={t('home.toVerify')}
            extra={<Link to="/secretary/activities">{t('home.all')}</Link>}
          >
            <List
              size="small"
              loading={activities.isLoading}
              dataSource={toVerify.slice(0, 8)}
              locale={{ emptyText: t('home.nothingToVerify') }}
              renderItem={(a) => (
                <List.Item
                  actions={[
                    <Link
                      key="go"
                      to={`/secretary/activities/${a.id}`}
                      aria-label={`${t('home.open')} ${a.title}`}
                    >
                      {t('home.open')}
                    </Link>,
                  ]}
                >
                  <List.Item.Meta
                    title={a.title}
                    description={`${formatInstant(a.startsAt)} · ${t('home.participants', { n: a.participantCount })}`}
                  />
                </List.Item>
              )}
            />
            {upcoming > 0 ? (
              <Typography.Text type="secondary">{t('home.upcoming', { n: upcoming })}</Typography.Text>
            ) : null}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card
            size="small"
            title={t('home.rounds')}
            extra={<Link to="/secretary/rounds">{t('home.all')}</Link>}
          >
            <List
              size="small"
              loading={rounds.isLoading}
              dataSource={[...byState('scoring'), ...onNotice]}
              locale={{ emptyText: t('home.noRounds') }}
              renderItem={(r) => {
                const ended = r.publicityEndsAt !== null && Date.parse(r.publicityEndsAt) <= now
                const open = objections[onNotice.indexOf(r)]?.data?.length ?? 0
                return (
                  <List.Item
                    actions={[
                      <Link
                        key="go"
                        to={`/secretary/rounds/${r.id}`}
                        aria-label={`${t('home.open')} ${r.periodStart} – ${r.periodEnd}`}
                      >
                        {t('home.open')}
                      </Link>,
                    ]}
                  >
                    <List.Item.Meta
                      title={
                        <span>
                          {r.periodStart} – {r.periodEnd}{' '}
                          <Tag color={r.status === 'scoring' ? 'processing' : 'warning'}>
                            {labelOf(t, 'roundStatus', r.status)}
                          </Tag>
                          {ended && open === 0 ? (
                            <Tag color="success">{t('home.readyToFinalize')}</Tag>
                          ) : null}
                          {open > 0 ? <Badge count={open} title={t('home.openObjections')} /> : null}
                        </span>
                      }
                      description={
                        r.status === 'publicity'
                          ? t('home.publicityUntil', { at: formatInstant(r.publicityEndsAt) })
                          : t('home.claimsInRound', { n: r.claimCount })
                      }
                    />
                  </List.Item>
                )
              }}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('home.openObjections')}>
            <List
              size="small"
              dataSource={openObjections}
              locale={{ emptyText: t('home.noObjections') }}
              renderItem={(o) => (
                <List.Item
                  actions={[
                    <Link
                      key="go"
                      to={`/secretary/rounds/${o.roundId}`}
                      aria-label={`${t('home.answer')} ${nameOf(o.memberId)}`}
                    >
                      {t('home.answer')}
                    </Link>,
                  ]}
                >
                  <List.Item.Meta title={nameOf(o.memberId)} description={o.reason} />
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card
            size="small"
            title={t('home.claimsWaiting')}
            extra={<Link to="/secretary/claims">{t('home.all')}</Link>}
          >
            <Typography.Paragraph style={{ margin: 0 }}>
              {waitingClaims > 0
                ? t('home.claimsWaitingText', { n: `${waitingClaims}${more(claims.data)}` })
                : t('home.noClaims')}
            </Typography.Paragraph>
            {waitingClaims > 0 ? (
              <Button size="small" style={{ marginTop: 8 }} onClick={() => navigate('/secretary/rounds')}>
                {t('home.openRound')}
              </Button>
            ) : null}
          </Card>
        </Col>
        {clerkUnit ? (
          <Col xs={24} lg={12}>
            <Card size="small" title={t('home.lapsing')}>
              <ApiError error={lapsing.error} />
              <List
                size="small"
                dataSource={lapsing.data ?? []}
                locale={{ emptyText: t('home.noLapsing') }}
                renderItem={(r) => (
                  <List.Item>
                    <List.Item.Meta
                      title={`${nameOf(r.memberId)} · ${r.rewardName}`}
                      description={t('home.lapsesAt', { at: formatInstant(r.expiresAt) })}
                    />
                  </List.Item>
                )}
              />
            </Card>
          </Col>
        ) : null}
      </Row>
    </div>
  )
}
