import { Space, Typography } from 'antd'
import { useT } from '../../i18n'
import { formatDecimal } from '../../lib/decimal'
import { ApiError } from '../../lib/ui'
import { Catalogue, Redemptions } from '../shared/redemptions'
import { useBalance, useMemberId } from './Home'

/** The catalogue of the member's community (and those registered with through 双报到) and their redemptions. */
export default function Rewards() {
  const t = useT()
  const memberId = useMemberId()
  const balance = useBalance(memberId)
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {t('nav.member.rewards')}
      </Typography.Title>
      <ApiError error={balance.error} />
      <Typography.Text>
        {t('member.available')}:{' '}
        <strong data-testid="available">{formatDecimal(balance.data?.available)}</strong>
      </Typography.Text>
      <Catalogue memberId={memberId} available={balance.data?.available} />
      <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>
        {t('redeem.mine')}
      </Typography.Title>
      <Redemptions query={{ memberId }} />
    </Space>
  )
}
