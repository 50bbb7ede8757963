import { beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'

// Resource caps a client cannot talk the server out of: no answer is larger than one page of 200 rows.

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

describe('page caps', () => {
  it('every paged list operation documents limit at most 200 (default 50)', () => {
    const doc = t.app.swagger() as unknown as {
      paths: Record<
        string,
        Record<
          string,
          {
            operationId?: string
            parameters?: { name: string; in: string; schema?: { maximum?: number; default?: number } }[]
          }
        >
      >
    }
    const paged = Object.values(doc.paths)
      .flatMap((ops) => Object.values(ops))
      .flatMap((op) =>
        (op.parameters ?? [])
          .filter((p) => p.in === 'query' && p.name === 'limit')
          .map((p) => ({ id: op.operationId, ...p.schema })),
      )
    expect(paged.length).toBeGreaterThan(10)
    expect(paged.filter((p) => p.maximum !== 200 || p.default !== 50)).toEqual([])
  })

  it('limit=201 is refused with 400 naming limit; 205 rows come as 200 and a cursor to the rest', async () => {
    for (let i = 0; i < 205; i++)
      await createMember(t.db, w.branchA, { name: `cap-${String(i).padStart(3, '0')}` })
    const over = await t.call({ method: 'GET', url: '/api/v1/members?limit=201', as: w.secretaryA })
    expect(over.statusCode).toBe(400)
    expect(over.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'limit' }] })

    const first = await t.call({ method: 'GET', url: '/api/v1/members?limit=200', as: w.secretaryA })
    expect(first.statusCode).toBe(200)
    expect(first.json().items).toHaveLength(200)
    expect(first.json().nextCursor).toEqual(expect.any(String))
    const rest = await t.call({
      method: 'GET',
      url: `/api/v1/members?limit=200&cursor=${encodeURIComponent(first.json().nextCursor)}`,
      as: w.secretaryA,
    })
    expect(rest.statusCode).toBe(200)
    // 205 made here plus the world's member of branch A.
    expect(rest.json().items).toHaveLength(6)
    expect(rest.json().nextCursor).toBeNull()

    const byDefault = await t.call({ method: 'GET', url: '/api/v1/members', as: w.secretaryA })
    expect(byDefault.json().items).toHaveLength(50)
  })
})
