import { useInfiniteQuery } from '@tanstack/react-query'
import { Button, Space, Table, Typography } from 'antd'
import { labelOf, useT } from '../../i18n'
import { api } from '../../lib/api'
import { Amount, ApiError } from '../../lib/ui'
import { useMemberId } from './Home'

type Row = Awaited<ReturnType<typeof fetchPage>>['items'][number]

async function fetchPage(memberId: string, cursor?: string) {
  return (
    await api.GET('/api/v1/members/{id}/ledger', {
      params: { path: { id: memberId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
    })
  ).data
}

/** The ledger, newest first, with the running balance after each line (balanceAfter, from the server). */
export default function Ledger() {
  const t = useT()
  const memberId = useMemberId()
  const ledger = useInfiniteQuery({
    queryKey: ['ledger', memberId],
    queryFn: ({ pageParam }) => fetchPage(memberId, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const rows: Row[] = ledger.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.member.ledger')}
      </Typography.Title>
      <ApiError error={ledger.error} />
      <Table<Row>
        size="small"
        rowKey="transactionId"
        loading={ledger.isLoading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 560 }}
        columns={[
          { title: t('common.date'), dataIndex: 'effectiveDate', width: 110 },
          {
            title: t('ledger.kind'),
            dataIndex: 'kind',
            width: 90,
            render: (k: string) => labelOf(t, 'ledger.kind', k),
          },
          { title: t('ledger.memo'), dataIndex: 'memo' },
          {
            title: t('ledger.amount'),
            dataIndex: 'amount',
            align: 'right',
            width: 90,
            render: (v: string) => <Amount value={v} signed />,
          },
          {
            title: t('ledger.balanceAfter'),
            dataIndex: 'balanceAfter',
            align: 'right',
            width: 100,
            render: (v: string) => <Amount value={v} />,
          },
          {
            title: t('ledger.heldAfter'),
            dataIndex: 'heldAfter',
            align: 'right',
            width: 90,
            render: (v: string) => <Amount value={v} />,
          },
        ]}
      />
      {ledger.hasNextPage && (
        <Button onClick={() => void ledger.fetchNextPage()} loading={ledger.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      )}
    </Space>
  )
}
