import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'

/**
 * What every printable sheet of the service shares (certificates, the 公示 notice-board sheet, rankings, 双报告).
 *
 * Noto Sans SC (SIL OFL) from @expo-google-fonts/noto-sans-sc: a static TrueType font, which pdfkit (via
 * fontkit) subsets to the glyphs a document uses, so a PDF embeds a few KB of font and renders Chinese
 * the same in every viewer. The package ships the whole font with the code: nothing is fetched at run time.
 * Read once, on first use (about 10 MB); fontkit parses it per document in a few milliseconds.
 */
const FONT_FILE = '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'
let fontBytes: Buffer | undefined
export function cjkFont(): Buffer {
  fontBytes ??= readFileSync(createRequire(import.meta.url).resolve(FONT_FILE))
  return fontBytes
}

export const A4_MARGIN = 56

/** A4 document with the CJK font registered as 'cjk' and selected; `done()` ends it and gives its bytes. */
export async function a4Document(
  info: { Title: string; Author?: string; Subject?: string },
  opts: { layout?: 'portrait' | 'landscape'; margin?: number } = {},
): Promise<{ doc: PDFKit.PDFDocument; done: () => Promise<Buffer> }> {
  // pdfkit (with fontkit, brotli and their tables) is loaded on the first sheet printed, not at start: most
  // processes never print one. Loaded at start, it and the other packages only some servers use (PGlite, qrcode,
  // ioredis) held ~20 MB of the benchmark's peak RSS (docs/performance.md, "Server memory"). Node keeps the
  // module once loaded, so later sheets find it at once.
  const { default: PDFDocument } = await import('pdfkit')
  const doc = new PDFDocument({
    size: 'A4',
    layout: opts.layout ?? 'portrait',
    margin: opts.margin ?? A4_MARGIN,
    info,
  })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve)
    doc.on('error', reject)
  })
  doc.registerFont('cjk', cjkFont())
  doc.font('cjk')
  // Pages pdfkit adds on its own (text running over) keep the font.
  doc.on('pageAdded', () => doc.font('cjk'))
  return {
    doc,
    done: async () => {
      doc.end()
      await finished
      return Buffer.concat(chunks)
    },
  }
}

export interface PdfColumn {
  header: string
  /** Points; the columns together should fill the page's width between the margins. */
  width: number
  align?: 'left' | 'right' | 'center'
}

/**
 * A ruled table from the current position: a grey header row, repeated at the top of every page it runs onto,
 * each row as tall as its tallest cell. `reserve` keeps that many points free at the bottom of the last page.
 */
export function drawTable(
  doc: PDFKit.PDFDocument,
  columns: readonly PdfColumn[],
  rows: readonly string[][],
  opts: { fontSize?: number; emptyText?: string } = {},
): void {
  const margin = doc.page.margins.left
  const width = columns.reduce((acc, c) => acc + c.width, 0)
  const size = opts.fontSize ?? 10
  const drawRow = (cells: readonly string[], header: boolean) => {
    doc.fontSize(header ? size + 0.5 : size)
    const heights = cells.map((text, i) => doc.heightOfString(text || ' ', { width: columns[i]!.width - 8 }))
    const h = Math.max(...heights) + 8
    if (doc.y + h > doc.page.height - doc.page.margins.bottom) {
      doc.addPage()
      if (!header) drawRow(headers, true)
      doc.fontSize(size)
    }
    const top = doc.y
    let x = margin
    if (header) doc.rect(margin, top, width, h).fill('#eeeeee').fillColor('black')
    cells.forEach((text, i) => {
      const col = columns[i]!
      doc.text(text, x + 4, top + 4, { width: col.width - 8, align: col.align ?? 'left' })
      x += col.width
    })
    doc
      .moveTo(margin, top + h)
      .lineTo(margin + width, top + h)
      .lineWidth(0.5)
      .strokeColor('#999')
      .stroke()
    doc.x = margin
    doc.y = top + h
  }
  const headers = columns.map((c) => c.header)
  drawRow(headers, true)
  for (const r of rows) drawRow(r, false)
  if (rows.length === 0 && opts.emptyText) {
    drawRow(
      columns.map((_, i) => (i === 0 ? opts.emptyText! : '')),
      false,
    )
  }
}

/** A local date of an instant for print: 2026年12月5日. */
export function printedDate(at: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  }).format(new Date(at))
}

/** A local date and minute of an instant for print: 2026年12月10日 23:59. */
export function printedDateTime(at: Date | string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(at))
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}年${get('month')}月${get('day')}日 ${get('hour')}:${get('minute')}`
}

/** The client asked a JSON operation for its PDF twin (`Accept: application/pdf`). */
export function wantsPdf(request: FastifyRequest): boolean {
  return /\bapplication\/pdf\b/i.test(request.headers.accept ?? '')
}

/** The 200 of a PDF file operation. */
export function pdfFileResponse(description: string) {
  return { description, content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } }
}

export function sendPdf(reply: FastifyReply, filename: string, body: Buffer) {
  return reply
    .type('application/pdf')
    .header('content-disposition', `inline; filename="${filename}"`)
    .send(body)
}
