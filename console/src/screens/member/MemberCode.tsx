import { Card, Space, Typography } from 'antd'
import { useT } from '../../i18n'
import { useWorkspace } from '../../lib/session'
import { MEMBER_CODE_PREFIX } from '../clerk/Counter'
import { QrCode } from '../shared/qr'

/**
 * 会员码: what the member shows at the counter. It is the member's id (no secret: the clerk still needs a grant
 * over the member to see anything), as a QR code for a scanner and as text to read out.
 */
export default function MemberCode() {
  const t = useT()
  const { me } = useWorkspace()
  const id = me.member?.id ?? ''
  return (
    <Space direction="vertical" align="center" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 20 }}>
        {t('nav.member.code')}
      </Typography.Title>
      <Card>
        <Space direction="vertical" align="center">
          <QrCode text={`${MEMBER_CODE_PREFIX}${id}`} label={t('code.qrLabel')} />
          <Typography.Text strong>{me.member?.name}</Typography.Text>
          <Typography.Text copyable code style={{ wordBreak: 'break-all' }} data-testid="member-code">
            {id}
          </Typography.Text>
          <Typography.Text type="secondary">{t('code.hint')}</Typography.Text>
        </Space>
      </Card>
    </Space>
  )
}
