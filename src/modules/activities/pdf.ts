// The embedded Noto Sans SC every printable sheet shares (src/shared/pdf.ts: nothing fetched at run time).
import { cjkFont as font } from '../../shared/pdf'
import { IDENTITY_TYPES } from '../members'
import type { ServiceCertificate } from './schemas'

const SOURCE_LABEL = { activity: '志愿服务活动', service_request: '群众点单服务' } as const

const MARGIN = 56
const COLUMNS = [
  { header: '日期', width: 80 },
  { header: '类别', width: 90 },
  { header: '服务项目', width: 223 },
  { header: '时长（小时）', width: 90 },
] as const

/** Local date and time of an instant, for print. */
function printedAt(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  }).format(new Date(iso))
}

/** Where anyone checks a certificate in a browser (or by scanning its QR code): the public verification page. */
export function verificationUrl(publicBaseUrl: string, code: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/service-certificates/${code}`
}

/**
 * The QR code of `text` as vector squares (one path, so it prints sharp at any size), `size` points wide with
 * its top left corner at (x, y). Error correction M: still readable with a stamp or a fold across it.
 */
function drawQrCode(
  QRCode: typeof import('qrcode'),
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  size: number,
) {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const quiet = 2
  const cell = size / (modules.size + 2 * quiet)
  doc.save()
  doc.rect(x, y, size, size).fill('white')
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) doc.rect(x + (col + quiet) * cell, y + (row + quiet) * cell, cell, cell)
    }
  }
  doc.fill('black')
  doc.restore()
}

const QR_SIZE = 84

/**
 * A printable A4 志愿服务记录证明. `publicBaseUrl` (PUBLIC_BASE_URL) makes the verification address absolute,
 * printed in words and as a QR code, so a resident checks the paper with a phone.
 */
export async function renderCertificatePdf(
  c: ServiceCertificate,
  timeZone: string,
  publicBaseUrl: string,
): Promise<Buffer> {
  // pdfkit and qrcode load with the first certificate printed, not at start (as in a4Document, src/shared/pdf.ts).
  const [{ default: PDFDocument }, { default: QRCode }] = await Promise.all([
    import('pdfkit'),
    import('qrcode'),
  ])
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: `志愿服务记录证明 ${c.serialNumber}`,
      Author: c.issuerName,
      Subject: `${c.memberName} ${c.from} 至 ${c.to} 志愿服务时长 ${c.totalHours} 小时`,
    },
  })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve)
    doc.on('error', reject)
  })
  doc.registerFont('cjk', font())
  doc.font('cjk')

  const width = doc.page.width - 2 * MARGIN
  doc.fontSize(22).text('志愿服务记录证明', { align: 'center' })
  doc.moveDown(0.3)
  doc.fontSize(10).fillColor('#444').text(`编号：${c.serialNumber}`, { align: 'right' })
  doc.fillColor('black').moveDown(0.5)
  if (c.revokedAt) {
    // A revoked certificate still prints as issued (it is a record), marked void so nobody relies on the paper.
    doc
      .fontSize(14)
      .fillColor('#b00020')
      .text(`本证明已于 ${printedAt(c.revokedAt, timeZone)} 撤销，不再有效。`, { align: 'center' })
      .fillColor('black')
    doc.moveDown(0.5)
  }
  doc.moveDown(0.5)

  // The holder's identity document as the rules ask (证件类型, 证件号码), masked only; older certificates carry the
  // masked phone they were issued with.
  const identity = c.identityDocument
    ? `（${IDENTITY_TYPES[c.identityDocument.type]}：${c.identityDocument.maskedNumber}）`
    : c.maskedIdentity
      ? `（身份标识：${c.maskedIdentity}）`
      : ''
  doc
    .fontSize(12)
    .text(
      `兹证明 ${c.memberName}${identity} 于 ${c.from} 至 ${c.to} 期间参加志愿服务，` +
        `经核实的志愿服务时长共计 ${c.totalHours} 小时。具体记录如下：`,
      { lineGap: 4 },
    )
  if (c.volunteerStar) doc.text(`志愿者星级：${c.volunteerStar}`, { lineGap: 4 })
  doc.moveDown(0.8)

  const drawRow = (cells: string[], header = false) => {
    doc.fontSize(header ? 10.5 : 10)
    const heights = cells.map((text, i) => doc.heightOfString(text, { width: COLUMNS[i]!.width - 8 }))
    const h = Math.max(...heights) + 8
    if (doc.y + h > doc.page.height - MARGIN - 110) {
      doc.addPage()
      doc.font('cjk')
      if (!header)
        drawRow(
          COLUMNS.map((col) => col.header),
          true,
        )
    }
    const top = doc.y
    let x = MARGIN
    if (header) doc.rect(MARGIN, top, width, h).fill('#eeeeee').fillColor('black')
    cells.forEach((text, i) => {
      const col = COLUMNS[i]!
      doc.text(text, x + 4, top + 4, { width: col.width - 8, align: i === 3 ? 'right' : 'left' })
      x += col.width
    })
    doc
      .moveTo(MARGIN, top + h)
      .lineTo(MARGIN + width, top + h)
      .lineWidth(0.5)
      .strokeColor('#999')
      .stroke()
    doc.x = MARGIN
    doc.y = top + h
  }

  drawRow(
    COLUMNS.map((col) => col.header),
    true,
  )
  for (const r of c.records) drawRow([r.date, SOURCE_LABEL[r.source], r.title, r.hours])
  if (c.records.length === 0) drawRow(['—', '—', '期间内无经核实的服务记录', '0.00'])
  drawRow(['', '', '合计', c.totalHours])

  doc.moveDown(2)
  // The closing block (signature lines, verification address and its QR code) stays on one page.
  if (doc.y + QR_SIZE + 140 > doc.page.height - MARGIN) {
    doc.addPage()
    doc.font('cjk')
  }
  const url = verificationUrl(publicBaseUrl, c.verificationCode)
  const top = doc.y
  const textWidth = width - QR_SIZE - 16
  drawQrCode(QRCode, doc, url, MARGIN + width - QR_SIZE, top, QR_SIZE)
  doc.fontSize(12)
  doc.text(`出具单位（盖章）：${c.issuerSealText ?? c.issuerName}`, MARGIN, top, { width: textWidth })
  if (c.issuerSealText && c.issuerSealText !== c.issuerName) {
    doc.fontSize(10).text(`（${c.issuerName}）`, { width: textWidth }).fontSize(12)
  }
  if (c.issuerPersonInCharge) doc.text(`负责人：${c.issuerPersonInCharge}`, { width: textWidth })
  if (c.issuerContactPhone) doc.text(`联系电话：${c.issuerContactPhone}`, { width: textWidth })
  doc.text(`经办人：${c.issuedByName}`, { width: textWidth })
  doc.text(`出具日期：${printedAt(c.issuedAt, timeZone)}`, { width: textWidth })
  doc.moveDown(1)
  doc.fontSize(9).fillColor('#444')
  doc.text(`验证码：${c.verificationCode}`, { width: textWidth })
  doc.text(`查验网址（扫描右侧二维码或在浏览器中打开，无需登录）：${url}`, { width: textWidth })
  doc.text('本证明依据《志愿服务记录与证明出具办法（试行）》出具，所列时长仅含经核实的服务记录。', {
    width: textWidth,
  })
  doc.end()
  await finished
  return Buffer.concat(chunks)
}
