import { Result } from 'antd'
import { useT } from '../../i18n'

/** Placeholder home of the roles whose screens are still being written (secretary, panelist, admin). */
export default function Pending() {
  const t = useT()
  return <Result status="info" title={t('pending.title')} subTitle={t('pending.body')} />
}
