import { Select } from 'antd'
import { useT } from '../i18n'

/** The role and unit switch of the header, for a user with several grants (a lazy chunk: antd's Select). */
export default function WorkspaceSwitch(props: {
  value: string
  options: { value: string; label: string }[]
  onChange: (key: string) => void
}) {
  const t = useT()
  return (
    <Select
      aria-label={t('shell.workspace')}
      value={props.value}
      style={{ minWidth: 160 }}
      options={props.options}
      onChange={props.onChange}
    />
  )
}
