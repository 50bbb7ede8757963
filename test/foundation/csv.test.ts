import { describe, expect, it } from 'vitest'
import { parseCsv, toCsv } from '../../src/shared/csv'
import { decodeCursor, encodeCursor, toPage } from '../../src/shared/pagination'

describe('toCsv', () => {
  it('writes a BOM, a header row, CRLF, and quotes commas, quotes and new lines', () => {
    const csv = toCsv(
      [
        { header: 'name', value: (r: { name: string; n: string }) => r.name },
        { header: 'points', value: (r) => r.n },
      ],
      [
        { name: '张三, "小张"', n: '12.50' },
        { name: 'line\nbreak', n: '-2.00' },
      ],
    )
    expect(csv.startsWith('\uFEFFname,points\r\n')).toBe(true)
    expect(csv).toContain('"张三, ""小张""",12.50\r\n')
    expect(csv).toContain('"line\nbreak",-2.00\r\n')
  })

  it('neutralises formulas but keeps negative numbers', () => {
    const csv = toCsv([{ header: 'v', value: (r: string) => r }], ['=1+1', '-2.00', '@cmd', '-x'])
    expect(csv.split('\r\n').slice(1, 5)).toEqual(["'=1+1", '-2.00', "'@cmd", "'-x"])
  })

  it('round-trips through parseCsv with line numbers counting the header as 1', () => {
    const text = toCsv(
      [
        { header: 'a', value: (r: string[]) => r[0] },
        { header: 'b', value: (r) => r[1] },
      ],
      [
        ['x,1', 'multi\nline'],
        ['李四', 'q"uote'],
      ],
    )
    const rows = parseCsv(text)
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'multi\nline'] },
      { line: 4, fields: ['李四', 'q"uote'] },
    ])
  })

  it('rejects an unterminated quote', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/line 2/)
  })
})

describe('pagination', () => {
  it('gives a cursor only when there is more', () => {
    const rows = [1, 2, 3].map((id) => ({ id: `r${id}` }))
    const full = toPage(rows, 2, (r) => [r.id])
    expect(full.items).toHaveLength(2)
    expect(decodeCursor(full.nextCursor!, ['text'])).toEqual(['r2'])
    expect(toPage(rows, 3, (r) => [r.id]).nextCursor).toBeNull()
  })

  it('refuses a forged cursor with validation_failed', () => {
    expect(() => decodeCursor('not-base64-json', ['text'])).toThrow(/cursor/)
    expect(() => decodeCursor(encodeCursor(['a', 'b']), ['text'])).toThrow(/cursor/)
  })
})
