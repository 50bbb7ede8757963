import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Input, Modal, Space, Table, Tabs, Tag, Typography } from 'antd'
import { useState } from 'react'
import { labelOf, useT } from '../../i18n'
import { api, type ItemOf, isProblem } from '../../lib/api'
import { useWorkspace } from '../../lib/session'
import { ApiError, formatInstant, useNotifyError } from '../../lib/ui'
import { FileButton, listTable, type Member, PageTitle, ReasonInput } from './kit'

type Registration = ItemOf<'listRegistrations'>
type LineError = { line?: number; field?: string; message: string }

/** 党员: the roster (search, CSV export), the CSV import with each refused line shown, 双报到 registrations. */
export default function Members() {
  const t = useT()
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <PageTitle>{t('nav.secretary.members')}</PageTitle>
      <Tabs
        items={[
          { key: 'search', label: t('members.search'), children: <Search /> },
          { key: 'import', label: t('members.import'), children: <Import /> },
          { key: 'registrations', label: t('members.registrations'), children: <Registrations /> },
        ]}
      />
    </Space>
  )
}

function Search() {
  const t = useT()
  const { workspace } = useWorkspace()
  const unit = workspace.orgUnitId
  const [q, setQ] = useState('')
  const members = useQuery({
    queryKey: ['members', 'search', unit, q],
    queryFn: async () =>
      (
        await api.GET('/api/v1/members', {
          params: { query: { orgUnitId: unit, limit: 100, ...(q ? { q } : {}) } },
        })
      ).data.items,
  })
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Input.Search
          aria-label={t('members.searchLabel')}
          placeholder={t('members.searchLabel')}
          enterButton={t('common.search')}
          allowClear
          onSearch={(v) => setQ(v.trim())}
          style={{ maxWidth: 360 }}
        />
        <FileButton
          label={t('members.export')}
          filename="党员名册.csv"
          fetch={async () =>
            (
              await api.GET('/api/v1/members.csv', {
                params: { query: { orgUnitId: unit } },
                parseAs: 'blob',
              })
            ).data as Blob
          }
        />
      </Space>
      <ApiError error={members.error} />
      <Table<Member>
        rowKey="id"
        {...listTable(members)}
        columns={[
          { title: t('members.name'), dataIndex: 'name' },
          { title: t('members.phone'), render: (_, m) => m.phone ?? '—' },
          {
            title: t('members.partyMember'),
            render: (_, m) => (m.isPartyMember ? t('members.yes') : t('members.no')),
          },
          { title: t('members.workUnit'), render: (_, m) => m.workUnit ?? '—' },
          { title: t('common.status'), render: (_, m) => labelOf(t, 'memberStatus', m.status) },
        ]}
      />
    </Space>
  )
}

const SAMPLE = 'name,isPartyMember,phone,workUnit\n张建国,是,13812345678,\n'

function Import() {
  const t = useT()
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const notifyError = useNotifyError()
  const [text, setText] = useState('')
  const [lineErrors, setLineErrors] = useState<LineError[] | null>(null)
  const [created, setCreated] = useState<number | null>(null)
  const send = useMutation({
    mutationFn: async () =>
      (
        await api.POST('/api/v1/members/import', {
          params: { query: { orgUnitId: workspace.orgUnitId } },
          body: text,
          bodySerializer: (b: string) => b,
          headers: { 'content-type': 'text/csv' },
        })
      ).data,
    onSuccess: async (r) => {
      setLineErrors(null)
      setCreated(r.created)
      setText('')
      await qc.invalidateQueries({ queryKey: ['members'] })
    },
    onError: (e) => {
      setCreated(null)
      if (isProblem(e, 'validation_failed') && e.problem.errors?.length)
        setLineErrors(e.problem.errors as LineError[])
      else {
        setLineErrors(null)
        notifyError(e)
      }
    },
  })
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t('members.importHelp')}
      </Typography.Paragraph>
      <label htmlFor="vp-import-file">{t('members.importFile')}</label>
      <input
        id="vp-import-file"
        type="file"
        accept=".csv,text/csv"
        onChange={async (e) => {
          const f = e.target.files?.[0]
          if (f) setText(await f.text())
        }}
      />
      <Input.TextArea
        aria-label={t('members.importText')}
        rows={8}
        placeholder={SAMPLE}
        value={text}
        onChange={(e) => setText(e.target.value)}
        style={{ fontFamily: 'monospace' }}
      />
      <Button type="primary" disabled={!text.trim()} loading={send.isPending} onClick={() => send.mutate()}>
        {t('members.importSend')}
      </Button>
      {created !== null ? (
        <Alert type="success" showIcon message={t('members.imported', { n: created })} />
      ) : null}
      {lineErrors ? (
        <>
          <Alert
            type="error"
            showIcon
            role="alert"
            message={t('members.importRefused', { n: lineErrors.length })}
          />
          <Table<LineError>
            rowKey={(e, i) => `${e.line}-${e.field}-${i}`}
            size="small"
            pagination={false}
            dataSource={lineErrors}
            columns={[
              { title: t('members.line'), render: (_, e) => e.line ?? '—' },
              { title: t('members.field'), render: (_, e) => e.field ?? '—' },
              { title: t('members.problem'), dataIndex: 'message' },
            ]}
          />
        </>
      ) : null}
    </Space>
  )
}

function Registrations() {
  const t = useT()
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { message } = App.useApp()
  const notifyError = useNotifyError()
  const [ending, setEnding] = useState<Registration | null>(null)
  const [reason, setReason] = useState('')
  const list = useQuery({
    queryKey: ['registrations', workspace.orgUnitId],
    queryFn: async () =>
      (
        await api.GET('/api/v1/registrations', {
          params: { query: { orgUnitId: workspace.orgUnitId, limit: 200 } },
        })
      ).data.items,
  })
  const act = useMutation({
    mutationFn: async ({
      r,
      action,
      why,
    }: {
      r: Registration
      action: 'accept' | 'decline' | 'end'
      why?: string
    }) => {
      const params = { path: { id: r.id } }
      if (action === 'accept') return (await api.POST('/api/v1/registrations/{id}/accept', { params })).data
      if (action === 'decline')
        return (await api.POST('/api/v1/registrations/{id}/decline', { params, body: {} })).data
      return (await api.POST('/api/v1/registrations/{id}/end', { params, body: { reason: why ?? '' } })).data
    },
    onSuccess: async () => {
      message.success(t('common.done'))
      setEnding(null)
      setReason('')
      await qc.invalidateQueries({ queryKey: ['registrations'] })
    },
    onError: notifyError,
  })
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t('members.registrationsHelp')}
      </Typography.Paragraph>
      <ApiError error={list.error} />
      <Table<Registration>
        rowKey="id"
        {...listTable(list)}
        columns={[
          { title: t('members.name'), dataIndex: 'memberName' },
          { title: t('members.homeUnit'), dataIndex: 'homeUnitName' },
          {
            title: t('common.status'),
            render: (_, r) => <Tag>{labelOf(t, 'registrationStatus', r.status)}</Tag>,
          },
          { title: t('members.since'), render: (_, r) => formatInstant(r.decidedAt ?? r.createdAt) },
          {
            title: t('common.actions'),
            render: (_, r) => (
              <Space wrap size={4}>
                {r.status === 'pending' ? (
                  <>
                    <Button size="small" type="primary" onClick={() => act.mutate({ r, action: 'accept' })}>
                      {t('members.accept')}
                    </Button>
                    <Button size="small" onClick={() => act.mutate({ r, action: 'decline' })}>
                      {t('members.decline')}
                    </Button>
                  </>
                ) : null}
                {r.status === 'accepted' ? (
                  <Button size="small" onClick={() => setEnding(r)}>
                    {t('members.end')}
                  </Button>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={ending !== null}
        title={t('members.endTitle', { name: ending?.memberName ?? '' })}
        okText={t('members.end')}
        cancelText={t('common.cancel')}
        okButtonProps={{ disabled: !reason.trim() }}
        onCancel={() => setEnding(null)}
        onOk={() => ending && act.mutate({ r: ending, action: 'end', why: reason.trim() })}
      >
        <ReasonInput value={reason} onChange={setReason} />
      </Modal>
    </Space>
  )
}
