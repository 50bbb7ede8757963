import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app'
import type { Database } from '../../src/db/client'
import { TEST_JWT_SECRET } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'

// The production logger settings (server.ts passes a pino config): one line per request, when it completes.
let database: Database
const lines: Record<string, unknown>[] = []
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
    done()
  },
})

async function appAt(level: string, before?: (app: FastifyInstance) => void) {
  const app = await buildApp({ database, jwtSecret: TEST_JWT_SECRET, logger: { level, stream: sink } })
  before?.(app)
  await app.ready()
  return app
}

beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => {
  await database.close()
})

describe('request log', () => {
  it('writes one line per request with the request id, method, URL, status and time', async () => {
    const app = await appAt('info')
    lines.length = 0
    await app.inject({ method: 'GET', url: '/healthz' })
    await app.inject({ method: 'GET', url: '/api/v1/nothing-here' })
    await app.close()
    const requests = lines.filter((l) => l.req !== undefined || l.res !== undefined)
    expect(requests).toHaveLength(2)
    expect(requests[0]).toMatchObject({
      msg: 'request completed',
      req: { method: 'GET', url: '/healthz' },
      res: { statusCode: 200 },
    })
    expect(requests[1]).toMatchObject({ req: { url: '/api/v1/nothing-here' }, res: { statusCode: 404 } })
    for (const l of requests) {
      expect(l.reqId).toMatch(/^[0-9a-f-]{36}$/)
      expect(typeof l.responseTime).toBe('number')
    }
    expect(requests[0]!.reqId).not.toBe(requests[1]!.reqId)
  })

  it('writes nothing per request above info, and binds the request id to what a request logs', async () => {
    const app = await appAt('warn', (a) =>
      a.get('/_warns', async (request) => {
        request.log.warn({ what: 'odd' }, 'something odd')
        request.log.info('not written')
        return { ok: true }
      }),
    )
    lines.length = 0
    await app.inject({ method: 'GET', url: '/healthz' })
    const res = await app.inject({ method: 'GET', url: '/_warns', headers: { 'x-request-id': 'r-1' } })
    await app.close()
    expect(res.statusCode).toBe(200)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, msg: 'something odd', what: 'odd', reqId: 'r-1' })
  })
})
