/** Catalogue and redemption pieces shared by the member's 积分兑换 and the clerk's counter. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App, Button, Input, List, Modal, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { compareDecimal, formatDecimal } from '../../lib/decimal'
import { Amount, ApiError, formatInstant, useNotifyError } from '../../lib/ui'

export type Reward = ItemOf<'listRewards'>
export type Redemption = ItemOf<'listRedemptions'>

export async function listRewards(orgUnitId?: string) {
  return (
    await api.GET('/api/v1/rewards', {
      params: { query: { active: true, limit: 200, ...(orgUnitId ? { orgUnitId } : {}) } },
    })
  ).data
}

export async function listRedemptions(query: {
  memberId?: string
  orgUnitId?: string
  status?: Redemption['status']
}) {
  return (await api.GET('/api/v1/redemptions', { params: { query: { limit: 200, ...query } } })).data
}

/** After anything that moves points or stock: what shows them is read again. */
export function useInvalidateRedemptions() {
  const qc = useQueryClient()
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['balance'] }),
      qc.invalidateQueries({ queryKey: ['rewards'] }),
      qc.invalidateQueries({ queryKey: ['redemptions'] }),
      qc.invalidateQueries({ queryKey: ['ledger'] }),
    ])
}

const STATUS_COLOR: Record<string, string> = {
  reserved: 'processing',
  fulfilled: 'success',
  cancelled: 'default',
  expired: 'warning',
}

/** The catalogue with a 兑换 button on each reward (disabled when the points or the stock do not reach). */
export function Catalogue(props: {
  memberId: string
  available: string | undefined
  orgUnitId?: string
  /** Called with the new redemption after a reservation. */
  onReserved?: (r: Redemption) => void
}) {
  const t = useT()
  const { modal, message } = App.useApp()
  const notifyError = useNotifyError()
  const invalidate = useInvalidateRedemptions()
  const rewards = useQuery({
    queryKey: ['rewards', props.orgUnitId ?? 'mine'],
    queryFn: () => listRewards(props.orgUnitId),
  })
  const reserve = useMutation({
    mutationFn: async (reward: Reward) =>
      (
        await api.POST('/api/v1/redemptions', {
          body: { memberId: props.memberId, rewardId: reward.id, quantity: 1 },
        })
      ).data,
    onSuccess: async (r) => {
      message.success(t('redeem.reserved', { name: r.rewardName }))
      await invalidate()
      props.onReserved?.(r)
    },
    onError: notifyError,
  })
  return (
    <>
      <ApiError error={rewards.error} />
      <List<Reward>
        loading={rewards.isLoading}
        dataSource={rewards.data?.items ?? []}
        locale={{ emptyText: t('common.empty') }}
        grid={{ gutter: 12, xs: 1, sm: 2, lg: 3 }}
        renderItem={(reward) => {
          const short =
            props.available !== undefined && compareDecimal(props.available, reward.pointsCost) < 0
          return (
            <List.Item>
              <div className="vp-reward" data-testid={`reward-${reward.name}`}>
                <Typography.Text strong>{reward.name}</Typography.Text>
                <div>
                  <Amount value={reward.pointsCost} /> {t('common.points')} ·{' '}
                  {t('redeem.stock', { n: reward.available })}
                </div>
                {reward.description ? (
                  <Typography.Text type="secondary">{reward.description}</Typography.Text>
                ) : null}
                <div>
                  <Button
                    type="primary"
                    size="small"
                    disabled={short || reward.available < 1}
                    loading={reserve.isPending && reserve.variables?.id === reward.id}
                    aria-label={`${t('redeem.action')} ${reward.name}`}
                    onClick={() =>
                      modal.confirm({
                        title: t('redeem.confirmTitle', { name: reward.name }),
                        content: t('redeem.confirmBody', { cost: formatDecimal(reward.pointsCost) }),
                        okText: t('redeem.action'),
                        cancelText: t('common.cancel'),
                        onOk: () => reserve.mutateAsync(reward).catch(() => {}),
                      })
                    }
                  >
                    {t('redeem.action')}
                  </Button>
                  {short ? (
                    <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
                      {t('redeem.short')}
                    </Typography.Text>
                  ) : null}
                </div>
              </div>
            </List.Item>
          )
        }}
      />
    </>
  )
}

/** Redemptions with their state; the clerk hands out (fulfil) and cancels, a member cancels a reservation. */
export function Redemptions(props: {
  query: { memberId?: string; orgUnitId?: string; status?: Redemption['status'] }
  canFulfil?: boolean
  filter?: (r: Redemption) => boolean
  showMember?: (memberId: string) => string
}) {
  const t = useT()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const invalidate = useInvalidateRedemptions()
  const [cancelling, setCancelling] = useState<Redemption | null>(null)
  const [reason, setReason] = useState('')
  const list = useQuery({
    queryKey: ['redemptions', props.query],
    queryFn: () => listRedemptions(props.query),
  })
  const fulfil = useMutation({
    mutationFn: async (r: Redemption) =>
      (await api.POST('/api/v1/redemptions/{id}/fulfil', { params: { path: { id: r.id } } })).data,
    onSuccess: async (r) => {
      message.success(t('redeem.fulfilled', { name: r.rewardName }))
      await invalidate()
    },
    onError: notifyError,
  })
  const cancel = useMutation({
    mutationFn: async ({ r, reason }: { r: Redemption; reason: string }) =>
      (
        await api.POST('/api/v1/redemptions/{id}/cancel', {
          params: { path: { id: r.id } },
          body: reason ? { reason } : {},
        })
      ).data,
    onSuccess: async () => {
      setCancelling(null)
      setReason('')
      message.success(t('redeem.cancelled'))
      await invalidate()
    },
    onError: notifyError,
  })
  const rows = (list.data?.items ?? []).filter(props.filter ?? (() => true))
  return (
    <>
      <ApiError error={list.error} />
      <Table<Redemption>
        size="small"
        rowKey="id"
        loading={list.isLoading}
        dataSource={rows}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 520 }}
        locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('redeem.reward'), dataIndex: 'rewardName' },
          ...(props.showMember
            ? [
                {
                  title: t('redeem.member'),
                  dataIndex: 'memberId',
                  render: (id: string) => props.showMember!(id),
                },
              ]
            : []),
          {
            title: t('ledger.amount'),
            dataIndex: 'amount',
            align: 'right' as const,
            render: (v: string) => <Amount value={v} />,
          },
          {
            title: t('common.status'),
            dataIndex: 'status',
            render: (s: string) => <Tag color={STATUS_COLOR[s]}>{labelOf(t, 'redemption.status', s)}</Tag>,
          },
          { title: t('common.time'), dataIndex: 'createdAt', render: formatInstant },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r: Redemption) =>
              r.status === 'reserved' ? (
                <Space>
                  {props.canFulfil ? (
                    <Button
                      type="primary"
                      size="small"
                      loading={fulfil.isPending && fulfil.variables?.id === r.id}
                      onClick={() => fulfil.mutate(r)}
                    >
                      {t('redeem.fulfil')}
                    </Button>
                  ) : null}
                  <Button size="small" onClick={() => setCancelling(r)}>
                    {t('redeem.cancel')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <Modal
        open={cancelling !== null}
        title={t('redeem.cancelTitle', { name: cancelling?.rewardName ?? '' })}
        okText={t('redeem.cancel')}
        cancelText={t('common.back')}
        confirmLoading={cancel.isPending}
        onOk={() => cancelling && cancel.mutate({ r: cancelling, reason: reason.trim() })}
        onCancel={() => setCancelling(null)}
      >
        <Input.TextArea
          aria-label={t('common.reason')}
          placeholder={t('common.reason')}
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
        />
      </Modal>
    </>
  )
}
