import { sql } from 'drizzle-orm'
import { type Db, one } from '../../db/client'
import type { Caller } from '../../shared/authz'
import { formatCents, parseCents } from '../../shared/decimal'
import { a4Document, drawTable, printedDate, printedDateTime } from '../../shared/pdf'
import { effectiveSettings } from '../org'
import { rubricWithItems } from '../rubrics'
import { getRoundResults } from './results'
import { requireRoundVisible } from './rounds'

/**
 * 公示栏: the round's results as the A4 sheet a branch pins on its notice board: the unit, the round (rubric and
 * period), each member's items and points with a subtotal, the publicity window in the service zone, and how
 * and until when to object. The same callers and the same 409 before close as getRoundResults, whose rows it
 * prints (a claim back with the panel shows 重新评议中 and no points).
 */
export interface NoticeSheet {
  unitName: string
  rubricName: string
  periodStart: string
  periodEnd: string
  status: 'scoring' | 'publicity' | 'finalized'
  closedAt: Date
  publicityEndsAt: Date
  objectionNotice: string | null
  rows: { memberName: string; itemName: string; points: string | null; note: string }[]
}

const STATUS_LABEL = {
  scoring: '评议中',
  publicity: '公示中',
  finalized: '公示期满，已确认计入积分',
} as const

export async function noticeSheet(db: Db, caller: Caller, roundId: string, tz: string): Promise<NoticeSheet> {
  const { items } = await getRoundResults(db, caller, roundId, { all: true }, tz)
  const round = await requireRoundVisible(db, caller, roundId)
  const [rubric, unit, settings] = await Promise.all([
    rubricWithItems(db, round.rubricId),
    one<{ name: string }>(db, sql`select name from org_units where id = ${round.orgUnitId}`),
    // objectionNotice: the unit setting, inherited from the nearest unit above that sets it.
    effectiveSettings(db, round.orgUnitId),
  ])
  const itemName = new Map((rubric?.items ?? []).map((i) => [i.code, i.name]))
  const sorted = [...items].sort(
    (a, b) => a.memberName.localeCompare(b.memberName, 'zh-CN') || a.memberId.localeCompare(b.memberId),
  )
  return {
    unitName: unit?.name ?? '',
    rubricName: rubric?.name ?? '',
    periodStart: round.periodStart,
    periodEnd: round.periodEnd,
    status: round.status,
    closedAt: round.closedAt!,
    publicityEndsAt: round.publicityEndsAt!,
    objectionNotice: settings.objectionNotice,
    rows: sorted.map((r) => {
      const points = r.awarded ?? r.result
      const notes: string[] = []
      if (r.status === 'scoring') notes.push('重新评议中')
      if (r.status === 'withdrawn') notes.push('已撤回')
      if (r.cappedAmount && parseCents(r.cappedAmount) !== 0) {
        notes.push(`超出年度上限 ${r.cappedAmount} 分未计入`)
      }
      if (r.objections.length) notes.push(`异议 ${r.objections.length} 件`)
      return {
        memberName: r.memberName,
        itemName: itemName.get(r.itemCode) ?? r.itemCode,
        points,
        note: notes.join('；'),
      }
    }),
  }
}

const COLUMNS = [
  { header: '姓名', width: 90 },
  { header: '积分项目', width: 203 },
  { header: '积分', width: 70, align: 'right' as const },
  { header: '备注', width: 120 },
]

/** The sheet's rows: each claim, and after a member's last one their subtotal. */
function tableRows(rows: NoticeSheet['rows']): string[][] {
  const out: string[][] = []
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    out.push([r.memberName, r.itemName, r.points ?? '—', r.note])
    if (rows[i + 1]?.memberName !== r.memberName) {
      const total = rows
        .filter((x) => x.memberName === r.memberName && x.points !== null)
        .reduce((acc, x) => acc + parseCents(x.points), 0)
      out.push(['', `${r.memberName} 小计`, formatCents(total), ''])
    }
  }
  return out
}

export async function renderNoticeSheetPdf(s: NoticeSheet, tz: string): Promise<Buffer> {
  const title = `${s.unitName}党员积分评议结果公示`
  const { doc, done } = await a4Document({
    Title: title,
    Author: s.unitName,
    Subject: `${s.periodStart} 至 ${s.periodEnd}`,
  })
  const deadline = printedDateTime(s.publicityEndsAt, tz)
  doc.fontSize(20).text(title, { align: 'center' })
  doc.moveDown(0.6)
  doc.fontSize(11)
  doc.text(`公示单位：${s.unitName}`)
  doc.text(`评议轮次：${s.rubricName}（评议期间 ${s.periodStart} 至 ${s.periodEnd}）`)
  doc.text(`公示期：${printedDateTime(s.closedAt, tz)} 至 ${deadline}`)
  doc.text(`当前状态：${STATUS_LABEL[s.status]}`)
  doc.moveDown(0.6)
  doc.text('经评议小组评议，现将党员积分评议结果公示如下：', { lineGap: 3 })
  doc.moveDown(0.4)
  drawTable(doc, COLUMNS, tableRows(s.rows), { emptyText: '本轮无申报事项' })
  doc.moveDown(1.2)
  if (doc.y + 120 > doc.page.height - doc.page.margins.bottom) doc.addPage()
  doc.fontSize(11).text('异议方式', { underline: false })
  doc.fontSize(10.5)
  if (s.objectionNotice) doc.text(s.objectionNotice, { lineGap: 3 })
  else {
    doc.text(
      `公示期间，本支部党员对公示结果有异议的，可在积分系统中对相应事项“提出异议”，或向${s.unitName}书面反映，` +
        '请写明异议事项和理由。逾期提出的异议不予受理。',
      { lineGap: 3 },
    )
  }
  doc.text(`异议截止时间：${deadline}`)
  doc.moveDown(2)
  doc.fontSize(11).text(`${s.unitName}（盖章）`, { align: 'right' })
  doc.text(printedDate(s.closedAt, tz), { align: 'right' })
  return done()
}

export async function getRoundResultsPdf(
  db: Db,
  caller: Caller,
  roundId: string,
  tz: string,
): Promise<Buffer> {
  return renderNoticeSheetPdf(await noticeSheet(db, caller, roundId, tz), tz)
}
