import { describe, expect, it } from 'vitest'
import { type Me, ProblemError, ResponseError } from './api'
import { messageOf, PROBLEM_MESSAGES } from './problems'
import { workspacesOf } from './session'

function problem(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = new Response(JSON.stringify(body), {
    status: Number(body.status),
    headers: { 'content-type': 'application/problem+json', ...headers },
  })
  return new ProblemError(body as never, response)
}

describe('API errors read as words keyed by the problem code', () => {
  it('has a Chinese and an English message for every code of the document', () => {
    for (const [code, [zh, en]] of Object.entries(PROBLEM_MESSAGES)) {
      expect(zh, code).toMatch(/[\u4e00-\u9fff]/)
      expect(en, code).toMatch(/[a-z]/)
    }
  })

  it('says what a code carries, never the raw body', () => {
    const stock = problem({
      type: 'x',
      title: 'Out of stock',
      status: 422,
      detail: 'd',
      code: 'out_of_stock',
      available: 0,
    })
    expect(messageOf(stock, 'zh')).toBe('库存不足。（现有 0 件）')
    const invalid = problem({
      type: 'x',
      title: 'Request is not valid',
      status: 400,
      detail: 'd',
      code: 'validation_failed',
      errors: [
        { field: 'quantity', message: 'must be >= 1' },
        { line: 3, message: 'bad phone' },
      ],
    })
    const text = messageOf(invalid, 'zh')
    expect(text).toContain('填写的内容有误')
    expect(text).toContain('quantity')
    expect(text).toContain('第 3 行')
    expect(text).not.toContain('{')
    const limited = problem(
      { type: 'x', title: 'Too many requests', status: 429, detail: 'd', code: 'rate_limited' },
      { 'retry-after': '30' },
    )
    expect(messageOf(limited, 'en')).toBe('Too many attempts; wait a moment. (retry in 30 s)')
  })

  it("falls back to the problem's title for a code it does not know, and words for other failures", () => {
    const unknown = problem({
      type: 'x',
      title: '新的错误',
      status: 409,
      detail: 'd',
      code: 'brand_new_code',
    })
    expect(messageOf(unknown, 'zh')).toBe('新的错误')
    const proxy = new ResponseError(new Response('<html>bad gateway</html>', { status: 502 }), '<html>')
    expect(messageOf(proxy, 'zh')).toBe('服务返回错误（502），请稍后重试。')
    expect(messageOf(new TypeError('Failed to fetch'), 'en')).toBe(
      'Network error: check the connection and retry.',
    )
    expect(messageOf(new Error('boom'), 'zh')).toBe('发生未知错误。')
  })
})

describe('workspaces: one per grant, and the member record', () => {
  const me = (roles: [string, string][], member: boolean): Me =>
    ({
      user: { id: 'u', username: 'x' },
      member: member ? { id: 'm', name: '王芳', orgUnitId: 'branch' } : null,
      resident: null,
      roles: roles.map(([role, orgUnitId], i) => ({ id: `g${i}`, role, orgUnitId })),
    }) as unknown as Me

  it('gives a secretary who is a member both, desk work first', () => {
    const ws = workspacesOf(me([['secretary', 'branch']], true))
    expect(ws.map((w) => w.role)).toEqual(['secretary', 'member'])
    expect(ws[1]).toEqual({ key: 'member', role: 'member', orgUnitId: 'branch' })
  })

  it('does not double the member workspace, and leaves residents out', () => {
    expect(workspacesOf(me([['member', 'branch']], true)).map((w) => w.key)).toEqual(['g0'])
    expect(workspacesOf(me([['resident', 'c']], false))).toEqual([])
    expect(
      workspacesOf(
        me(
          [
            ['clerk', 'c'],
            ['grid_worker', 'g'],
          ],
          false,
        ),
      ).map((w) => w.role),
    ).toEqual(['clerk', 'grid_worker'])
  })
})
