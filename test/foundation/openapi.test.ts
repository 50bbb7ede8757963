import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateOpenApi } from '../../scripts/openapi'

describe('openapi/openapi.json', () => {
  it('equals what the app serves (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')
    expect(JSON.parse(committed)).toEqual(JSON.parse(await generateOpenApi()))
  })

  it('gives every operation an operationId, a tag and problem responses', async () => {
    const doc = JSON.parse(await generateOpenApi())
    for (const [path, ops] of Object.entries<Record<string, Record<string, unknown>>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${path}`).toEqual(expect.any(String))
        expect(op.tags, `${method} ${path}`).toEqual(expect.any(Array))
        if (path.startsWith('/api/v1/')) {
          expect(Object.keys(op.responses as object), `${method} ${path}`).toContain('400')
        }
      }
    }
  })
})
