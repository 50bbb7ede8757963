import { useQuery } from '@tanstack/react-query'
import { Button, Card, Descriptions, Input, List, Space, Typography } from 'antd'
import { useState } from 'react'
import { useT } from '../../i18n'
import { api, isProblem } from '../../lib/api'
import { formatDecimal } from '../../lib/decimal'
import { useWorkspace } from '../../lib/session'
import { ApiError } from '../../lib/ui'
import { Catalogue, Redemptions } from '../shared/redemptions'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** What a member's 会员码 screen shows: the prefix and their member id (see member/MemberCode.tsx). */
export const MEMBER_CODE_PREFIX = 'vp-member:'

interface Member {
  id: string
  name: string
  phone: string | null
}

/**
 * A member by the code their phone shows (their id) or by name or phone. Reading the roster (listMembers,
 * getMember) is for secretaries and grid workers; a clerk's grant reads points only (getBalance), so for a
 * clerk the code is the way in, and the member shows as 会员码 …<last six> instead of a name.
 */
async function searchMembers(text: string, codeLabel: (tail: string) => string): Promise<Member[]> {
  const code = text.startsWith(MEMBER_CODE_PREFIX) ? text.slice(MEMBER_CODE_PREFIX.length) : text
  if (UUID.test(code)) {
    try {
      const { data } = await api.GET('/api/v1/members/{id}', { params: { path: { id: code } } })
      return [{ id: data.id, name: data.name, phone: data.phone ?? null }]
    } catch (error) {
      if (!isProblem(error, 'forbidden')) throw error
      await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: code } } })
      return [{ id: code, name: codeLabel(code.slice(-6)), phone: null }]
    }
  }
  const { data } = await api.GET('/api/v1/members', { params: { query: { q: text, limit: 20 } } })
  return data.items.map((m) => ({ id: m.id, name: m.name, phone: m.phone ?? null }))
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
    queryKey: ['member-search', query],
    queryFn: () => searchMembers(query, (tail) => t('counter.byCode', { tail })),
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
        {isProblem(found.error, 'forbidden') ? (
          <Typography.Text type="secondary">{t('counter.useCode')}</Typography.Text>
        ) : null}
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
                <List.Item.Meta title={m.name} description={m.phone ?? t('counter.noPhone')} />
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
              <Descriptions.Item label={t('counter.phone')}>{member.phone ?? '—'}</Descriptions.Item>
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
