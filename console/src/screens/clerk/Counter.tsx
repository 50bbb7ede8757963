import { useQuery } from '@tanstack/react-query'
import { Button, Card, Descriptions, Input, List, Space, Typography } from 'antd'
import { useState } from 'react'
import { useT } from '../../i18n'
import { api } from '../../lib/api'
import { formatDecimal } from '../../lib/decimal'
import { useWorkspace } from '../../lib/session'
import { ApiError } from '../../lib/ui'
import { Catalogue, Redemptions } from '../shared/redemptions'

/** What a member's 会员码 screen shows: the prefix and their member id (see member/MemberCode.tsx). */
export const MEMBER_CODE_PREFIX = 'vp-member:'

interface Member {
  id: string
  name: string
  /** Masked (138****5678): the counter sees enough to tell two 张伟 apart, never the number. */
  maskedPhone: string | null
  homeUnitName: string
}

/**
 * A member by name, phone (whole or its last 4 digits) or the code their phone shows (their id), through the
 * counter's own lookup (findMembersAtCounter): only members this office may redeem for, not the roster, which
 * stays closed to clerks.
 */
async function searchMembers(text: string, orgUnitId: string): Promise<Member[]> {
  const q = text.startsWith(MEMBER_CODE_PREFIX) ? text.slice(MEMBER_CODE_PREFIX.length) : text
  const { data } = await api.GET('/api/v1/counter/members', { params: { query: { orgUnitId, q } } })
  return data.items
}

/**
 * The redemption counter (兑换柜台): find the member by name, phone or the code their phone shows, see their
 * available points, reserve from this office's catalogue, hand out (fulfil) or cancel what they reserved.
 */
export default function Counter() {
  const t = useT()
  const { workspace } = useWorkspace()
  const [text, setText] = useState('')
  const [query, setQuery] = useState('')
  const [member, setMember] = useState<Member | null>(null)
  const found = useQuery({
    queryKey: ['counter-members', workspace.orgUnitId, query],
    queryFn: () => searchMembers(query, workspace.orgUnitId),
    enabled: query.length > 0,
  })
  const balance = useQuery({
    queryKey: ['balance', member?.id],
    queryFn: async () =>
      (await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: member!.id } } })).data,
    enabled: member !== null,
  })

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.clerk.counter')}
      </Typography.Title>
      <Card size="small">
        <Input.Search
          aria-label={t('counter.find')}
          placeholder={t('counter.find')}
          enterButton={t('common.search')}
          allowClear
          value={text}
          onChange={(e) => setText(e.target.value)}
          onSearch={(v) => {
            setMember(null)
            setQuery(v.trim())
          }}
        />
        <ApiError error={found.error} />
        {query && !member ? (
          <List<Member>
            loading={found.isLoading}
            dataSource={found.data ?? []}
            locale={{ emptyText: t('counter.none') }}
            renderItem={(m) => (
              <List.Item
                actions={[
                  <Button
                    key="pick"
                    size="small"
                    onClick={() => setMember(m)}
                    aria-label={`${t('counter.pick')} ${m.name}`}
                  >
                    {t('counter.pick')}
                  </Button>,
                ]}
              >
                <List.Item.Meta
                  title={m.name}
                  description={`${m.maskedPhone ?? t('counter.noPhone')} · ${m.homeUnitName}`}
                />
              </List.Item>
            )}
          />
        ) : null}
      </Card>
      {member ? (
        <>
          <Card
            size="small"
            title={member.name}
            extra={
              <Button size="small" onClick={() => setMember(null)}>
                {t('counter.another')}
              </Button>
            }
          >
            <ApiError error={balance.error} />
            <Descriptions size="small" column={{ xs: 1, sm: 2, md: 4 }}>
              <Descriptions.Item label={t('member.balance')}>
                {formatDecimal(balance.data?.balance)}
              </Descriptions.Item>
              <Descriptions.Item label={t('member.held')}>
                {formatDecimal(balance.data?.held)}
              </Descriptions.Item>
              <Descriptions.Item label={t('member.available')}>
                <strong data-testid="counter-available">{formatDecimal(balance.data?.available)}</strong>
              </Descriptions.Item>
              <Descriptions.Item label={t('counter.phone')}>{member.maskedPhone ?? '—'}</Descriptions.Item>
            </Descriptions>
          </Card>
          <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>
            {t('counter.reserved')}
          </Typography.Title>
          <Redemptions query={{ memberId: member.id, status: 'reserved' }} canFulfil />
          <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>
            {t('counter.catalogue')}
          </Typography.Title>
          <Catalogue
            memberId={member.id}
            available={balance.data?.available}
            orgUnitId={workspace.orgUnitId}
          />
        </>
      ) : null}
    </Space>
  )
}
