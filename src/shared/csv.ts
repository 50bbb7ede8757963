import type { FastifyReply, FastifyRequest } from 'fastify'
import Type, { type TObject } from 'typebox'

const BOM = '\uFEFF'

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let s =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  // A cell starting with = + - @ is run as a formula by Excel/WPS: prefix a quote (OWASP CSV injection),
  // but leave plain negative numbers ("-2.00") alone since they are data.
  if (/^[=+@\t\r]/.test(s) || (/^-/.test(s) && !/^-\d+(\.\d+)?$/.test(s))) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export interface CsvColumn<T> {
  header: string
  value: (row: T) => unknown
}

/** RFC 4180 CSV, UTF-8 with BOM so Excel and WPS open Chinese text correctly; CRLF line ends. */
export function toCsv<T>(columns: CsvColumn<T>[], rows: Iterable<T>): string {
  const lines = [columns.map((c) => cell(c.header)).join(',')]
  for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(','))
  return `${BOM}${lines.join('\r\n')}\r\n`
}

export function wantsCsv(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''
  return /\btext\/csv\b/i.test(accept)
}

export function sendCsv(reply: FastifyReply, filename: string, body: string) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(body)
}

/**
 * The contract's rule for files (docs/api.md, "Conventions"): a JSON operation answers JSON only in the
 * document, and each file is an operation of its own at the same path plus the file's extension
 * (`GET /members/{id}/ledger.csv`). Such an operation answers its one media type, takes the query of its JSON
 * twin without paging (a file holds every row) and is authorised by the same service call.
 */
export function csvFileResponse(description: string) {
  return {
    description: `${description} (RFC 4180, UTF-8 with BOM, CRLF line ends, formula cells neutralised)`,
    content: { 'text/csv': { schema: { type: 'string' } } },
  }
}

/** The query of a file operation: its JSON twin's without `limit` and `cursor`. */
export function withoutPaging<T extends TObject>(query: T) {
  return Type.Omit(query, ['limit', 'cursor'])
}

/**
 * On a JSON operation that still answers a file when the client asks for it with `Accept` (as it always did):
 * the media type and the operationId of the file operation that gives the same file. Not part of the
 * operation's `content`, so typed clients see the JSON answer only.
 */
export function alsoAnswers(mediaType: 'text/csv' | 'application/pdf', operationId: string) {
  return { 'x-also-answers': { [mediaType]: operationId } }
}

/** The sentence a JSON operation's description ends with when `Accept` also gives the file. */
export function acceptNote(mediaType: 'text/csv' | 'application/pdf', filePath: string): string {
  return ` \`Accept: ${mediaType}\` also works here, the same as GET ${filePath}.`
}

/** Parses RFC 4180 CSV (quoted fields with commas, quotes and new lines; BOM allowed). Returns rows with line numbers. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const src = text.startsWith(BOM) ? text.slice(1) : text
  const out: { line: number; fields: string[] }[] = []
  let fields: string[] = []
  let field = ''
  let inQuotes = false
  let line = 1
  let rowStart = 1
  let sawAny = false
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"'
          i++
        } else inQuotes = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
      continue
    }
    if (ch === '"') {
      inQuotes = true
      sawAny = true
    } else if (ch === ',') {
      fields.push(field)
      field = ''
      sawAny = true
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && src[i + 1] === '\n') i++
      fields.push(field)
      if (sawAny || fields.some((f) => f !== '')) out.push({ line: rowStart, fields })
      fields = []
      field = ''
      sawAny = false
      line++
      rowStart = line
    } else {
      field += ch
      sawAny = true
    }
  }
  if (inQuotes) throw new Error(`unterminated quoted field starting on line ${rowStart}`)
  if (sawAny || field !== '') {
    fields.push(field)
    out.push({ line: rowStart, fields })
  }
  return out
}
