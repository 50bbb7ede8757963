/**
 * Pieces the secretary's and panelist's screens share: titles, enum selects and status filters, list tables,
 * member names and pickers, files, rule messages.
 */
import { useQuery } from '@tanstack/react-query'
import { Button, Input, Select, type SelectProps, type TableProps, Typography } from 'antd'
import { type ReactNode, useState } from 'react'
import { labelOf, type T, type TKey, useT } from '../../i18n'
import { api, type ItemOf } from '../../lib/api'
import { useNotifyError } from '../../lib/ui'
import type { Problem } from './rules'
import './secretary.css'

export type Member = ItemOf<'listMembers'>

/** A screen's title; `extra` beside it, or `create`: the list's one primary button (new activity, round...). */
export function PageTitle({
  children,
  extra,
  create,
}: {
  children: ReactNode
  extra?: ReactNode
  create?: { label: string; onClick: () => void }
}) {
  return (
    <div
      style={{
        display: 'flex',
        flexWrap: 'wrap',
        gap: 8,
        alignItems: 'center',
        justifyContent: 'space-between',
      }}
    >
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {children}
      </Typography.Title>
      {create ? (
        <Button type="primary" onClick={create.onClick}>
          {create.label}
        </Button>
      ) : (
        extra
      )}
    </div>
  )
}

export function SectionTitle({ children }: { children: ReactNode }) {
  return (
    <Typography.Title level={2} style={{ fontSize: 16, margin: '8px 0 0' }}>
      {children}
    </Typography.Title>
  )
}

/** A select over an enum of the API, each value labelled by its `prefix.value` key (labelOf). */
export function EnumSelect<V extends string>({
  values,
  prefix,
  ...props
}: Omit<SelectProps<V>, 'options'> & { values: readonly V[]; prefix: string }) {
  const t = useT()
  return <Select<V> {...props} options={values.map((v) => ({ value: v, label: labelOf(t, prefix, v) }))} />
}

/** The status filter above a list: cleared, every state. */
export function StatusFilter<S extends string>(props: {
  values: readonly S[]
  prefix: string
  placeholder: string
  width: number
  value: S | undefined
  onChange: (value: S | undefined) => void
}) {
  const t = useT()
  return (
    <EnumSelect<S>
      aria-label={t('common.status')}
      allowClear
      placeholder={props.placeholder}
      style={{ width: props.width }}
      value={props.value}
      onChange={props.onChange}
      values={props.values}
      prefix={props.prefix}
    />
  )
}

/** What every list table of these screens shares, from its query: small, 20 rows a page, sideways scroll. */
export function listTable<R>(query: { data: R[] | undefined; isLoading: boolean }) {
  return {
    size: 'small',
    loading: query.isLoading,
    dataSource: query.data ?? [],
    pagination: { pageSize: 20, hideOnSinglePage: true },
    scroll: { x: true },
  } satisfies TableProps<R>
}

/** The reason a reversal or an ending asks for, in its dialog. */
export function ReasonInput({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const t = useT()
  return (
    <Input.TextArea
      aria-label={t('common.reason')}
      placeholder={t('common.reason')}
      rows={3}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  )
}

/** A rule's problem in words (rules.ts, score.ts give keys). */
export function say(
  t: T,
  problem: { key: string; vars?: Record<string, string | number> } | Problem | null | undefined,
) {
  if (!problem) return undefined
  const { key, ...rest } = problem as { key: string; vars?: Record<string, string | number> }
  const vars = rest.vars ?? (rest as Record<string, string | number>)
  return t(key as TKey, vars)
}

/** Today in the browser's zone as YYYY-MM-DD (the service's zone is the same for its users). */
export function today(): string {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** Every member of a unit's subtree (up to a few thousand), for names beside ids. */
export function useMembers(orgUnitId: string) {
  return useQuery({
    queryKey: ['members', 'all', orgUnitId],
    staleTime: 60_000,
    queryFn: async () => {
      const all: Member[] = []
      let cursor: string | undefined
      for (let page = 0; page < 20; page++) {
        const { data } = await api.GET('/api/v1/members', {
          params: { query: { orgUnitId, limit: 200, ...(cursor ? { cursor } : {}) } },
        })
        all.push(...data.items)
        if (!data.nextCursor) break
        cursor = data.nextCursor
      }
      return all
    },
  })
}

export function useMemberNames(orgUnitId: string): (id: string) => string {
  const members = useMembers(orgUnitId)
  const names = new Map((members.data ?? []).map((m) => [m.id, m.name]))
  return (id) => names.get(id) ?? '…'
}

/** A member picker over the unit's roster (search by name); `multiple` for a batch. */
export function MemberPicker(props: {
  orgUnitId: string
  value?: string | string[]
  onChange?: (value: string | string[]) => void
  multiple?: boolean
  id?: string
  'aria-label'?: string
}) {
  const t = useT()
  const members = useMembers(props.orgUnitId)
  return (
    <Select
      id={props.id}
      aria-label={props['aria-label']}
      mode={props.multiple ? 'multiple' : undefined}
      showSearch
      allowClear
      loading={members.isLoading}
      placeholder={t('sec.pickMember')}
      optionFilterProp="label"
      value={props.value}
      onChange={props.onChange}
      options={(members.data ?? []).map((m) => ({
        value: m.id,
        label: m.phone ? `${m.name} ${m.phone.slice(-4)}` : m.name,
      }))}
      style={{ width: '100%' }}
    />
  )
}

/** Saves a file the API answered (CSV, PDF) under a name. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A button that fetches a file operation (with the session's token) and saves it. */
export function FileButton(props: {
  label: string
  filename: string
  fetch: () => Promise<Blob>
  primary?: boolean
}) {
  const notifyError = useNotifyError()
  const [busy, setBusy] = useState(false)
  return (
    <Button
      type={props.primary ? 'primary' : 'default'}
      loading={busy}
      onClick={async () => {
        setBusy(true)
        try {
          saveBlob(await props.fetch(), props.filename)
        } catch (e) {
          notifyError(e)
        } finally {
          setBusy(false)
        }
      }}
    >
      {props.label}
    </Button>
  )
}

/** Active and draft rubrics of the unit (with their items), newest year first. */
export function useRubrics(orgUnitId: string) {
  return useQuery({
    queryKey: ['rubrics', orgUnitId],
    queryFn: async () =>
      (await api.GET('/api/v1/rubrics', { params: { query: { orgUnitId, limit: 200 } } })).data.items,
  })
}

export type Rubric = ItemOf<'listRubrics'>

/** The rubric in force for a year: the active one of the unit (one per unit and year). */
export function activeRubricOf(rubrics: Rubric[] | undefined, year: number): Rubric | undefined {
  return rubrics?.find((r) => r.status === 'active' && r.year === year)
}
