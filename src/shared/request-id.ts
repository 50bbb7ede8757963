import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/**
 * The X-Request-Id a client may choose: 1-64 characters of A-Z a-z 0-9 . _ : - (a UUID, a trace id, a
 * "service:123"). It is written to every log line and echoed in the response, so anything longer or holding
 * spaces, line breaks, quotes or non-ASCII is not taken: such a request gets a fresh UUID instead.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/

/** Fastify's genReqId: the client's X-Request-Id when it is a safe token, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id']
  return typeof sent === 'string' && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID()
}
