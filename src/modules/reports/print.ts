import { a4Document, drawTable, printedDate } from '../../shared/pdf'
import type { DualRegistrationItem } from './dual-registration-schemas'
import type { RankingItem } from './schemas'

/**
 * Printable reports (A4, Chinese, the embedded Noto Sans SC of src/shared/pdf.ts): the year's ranking and a
 * branch's standings (亮积分), and the 双报告 form that goes back to the members' own party organisation.
 */

const RANKING_COLUMNS = [
  { header: '排名', width: 55, align: 'right' as const },
  { header: '姓名', width: 140 },
  { header: '积分', width: 95, align: 'right' as const },
  { header: '服务时长（小时）', width: 103, align: 'right' as const },
  { header: '等次', width: 90 },
]

export async function renderRankingPdf(
  kind: 'ranking' | 'standings',
  sheet: { unitName: string; year: number; items: RankingItem[] },
  tz: string,
): Promise<Buffer> {
  const title =
    kind === 'ranking'
      ? `${sheet.unitName} ${sheet.year} 年度党员积分排名`
      : `${sheet.unitName} ${sheet.year} 年度党员积分亮榜`
  const { doc, done } = await a4Document({ Title: title, Author: sheet.unitName })
  doc.fontSize(18).text(title, { align: 'center' })
  doc.moveDown(0.5)
  doc
    .fontSize(10)
    .fillColor('#444')
    .text(
      `积分为 ${sheet.year} 年度（服务所在时区）入账的评议积分、扣分与调整之和，不含兑换；服务时长为经核实的志愿服务时长。` +
        '同分者名次相同。',
      { lineGap: 2 },
    )
  doc.fillColor('black').moveDown(0.6)
  drawTable(
    doc,
    RANKING_COLUMNS,
    sheet.items.map((r) => [String(r.rank), r.name, r.points, r.hours, r.grade ?? '—']),
    { emptyText: '暂无党员' },
  )
  doc.moveDown(1.5)
  doc.fontSize(10.5).text(`${sheet.unitName}  ${printedDate(new Date(), tz)}`, { align: 'right' })
  return done()
}

const DUAL_COLUMNS = [
  { header: '姓名', width: 62 },
  { header: '证件号码', width: 110 },
  { header: '所在党组织', width: 130 },
  { header: '报到社区', width: 130 },
  { header: '活动（次）', width: 50, align: 'right' as const },
  { header: '点单（件）', width: 50, align: 'right' as const },
  { header: '服务时长', width: 62, align: 'right' as const },
  { header: '群众评价', width: 52, align: 'right' as const },
  { header: '申报（件）', width: 52, align: 'right' as const },
  { header: '所获积分', width: 62, align: 'right' as const },
]

/** 在职党员到社区报到服务情况反馈表: landscape A4, one row per member and community. */
export async function renderDualRegistrationPdf(
  sheet: { unitName: string; from: string | null; to: string | null; items: DualRegistrationItem[] },
  tz: string,
): Promise<Buffer> {
  const title = '在职党员到社区报到服务情况反馈表'
  const period = `${sheet.from ?? '（不限）'} 至 ${sheet.to ?? printedDate(new Date(), tz)}`
  const { doc, done } = await a4Document(
    { Title: `${title} ${sheet.unitName}`, Author: sheet.unitName, Subject: period },
    { layout: 'landscape', margin: 40 },
  )
  doc.fontSize(18).text(title, { align: 'center' })
  doc.moveDown(0.4)
  doc.fontSize(11).text(`报送党组织：${sheet.unitName}`)
  doc.text(`统计期间：${period}`)
  doc.moveDown(0.3)
  doc
    .fontSize(9.5)
    .fillColor('#444')
    .text(
      '服务时长为期间内在报到社区（含下属单位）经核实的活动时长与群众确认的点单服务时长之和；群众评价为点单服务评分' +
        '（1-5 分）的平均值；申报与积分为以上述服务为依据的积分申报及已入账积分。证件号码已做脱敏处理。',
      { lineGap: 2 },
    )
  doc.fillColor('black').moveDown(0.5)
  drawTable(
    doc,
    DUAL_COLUMNS,
    sheet.items.map((r) => [
      r.memberName,
      r.identityDocument?.maskedNumber ?? '—',
      r.homeUnitName,
      r.communityName + (r.endedAt ? '（已结束）' : ''),
      String(r.activities),
      String(r.serviceRequests),
      r.hours,
      r.averageRating ?? '—',
      `${r.claims}（入账 ${r.claimsPosted}）`,
      r.points,
    ]),
    { fontSize: 9, emptyText: '期间内无双报到党员' },
  )
  doc.moveDown(1.5)
  if (doc.y + 60 > doc.page.height - doc.page.margins.bottom) doc.addPage()
  doc.fontSize(10.5)
  doc.text(`社区党组织意见：________________________        填报日期：${printedDate(new Date(), tz)}`)
  doc.moveDown(1)
  doc.text('社区党组织（盖章）                                   党员所在党组织（签收）', { align: 'left' })
  return done()
}
