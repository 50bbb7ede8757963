import http from 'node:http'
import https from 'node:https'
import { Webhook } from 'standardwebhooks'
import { parseWebhookUrl, resolveSafely, UnsafeUrlError } from './ssrf'

/** The body every delivery and every feed item carries: one shape (README, "Events"). */
export interface EventEnvelope {
  id: string
  type: string
  occurredAt: string
  orgUnitId: string
  subject: { type: string; id: string }
  data: Record<string, unknown>
}

export interface DeliveryOutcome {
  ok: boolean
  statusCode: number | null
  error: string | null
  durationMs: number
}

/** The Standard Webhooks headers for one attempt: webhook-id is the event's id, the same on every retry. */
export function signedHeaders(secret: string, eventId: string, body: string, at = new Date()) {
  const wh = new Webhook(secret)
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': wh.sign(eventId, at, body),
  }
}

/**
 * POSTs one signed event. Success is a 2xx within `timeoutMs`; a redirect is not followed (its target was not
 * checked) and counts as a failure, like any other status, a timeout or a refused address. Never throws.
 */
export async function postEvent(
  target: string,
  secret: string,
  event: EventEnvelope,
  opts: { timeoutMs: number; allowPrivateNetworks: boolean },
): Promise<DeliveryOutcome> {
  const started = Date.now()
  const done = (ok: boolean, statusCode: number | null, error: string | null): DeliveryOutcome => ({
    ok,
    statusCode,
    error: error?.slice(0, 500) ?? null,
    durationMs: Date.now() - started,
  })
  let url: URL
  let resolved: { address: string; family: 4 | 6 }
  try {
    url = parseWebhookUrl(target)
    resolved = await resolveSafely(url, opts.allowPrivateNetworks)
  } catch (err) {
    return done(false, null, err instanceof UnsafeUrlError ? `url ${err.message}` : String(err))
  }
  const body = JSON.stringify(event)
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'volunteer-points-webhooks/1',
    ...signedHeaders(secret, event.id, body),
  }
  return new Promise<DeliveryOutcome>((resolve) => {
    const client = url.protocol === 'https:' ? https : http
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        // Connect to the address just checked, not to whatever the name resolves to a moment later.
        lookup: (_host, options, cb) => {
          const all = (options as { all?: boolean }).all
          if (all)
            (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [resolved])
          else cb(null, resolved.address, resolved.family)
        },
        agent: false,
        timeout: opts.timeoutMs,
      },
      (res) => {
        const status = res.statusCode ?? 0
        // Drain (and cap) the answer: only its status counts.
        let seen = 0
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length
          if (seen > 64 * 1024) res.destroy()
        })
        res.on('end', () =>
          resolve(done(status >= 200 && status < 300, status, status >= 300 ? `HTTP ${status}` : null)),
        )
        res.on('error', () => resolve(done(status >= 200 && status < 300, status, null)))
        res.on('close', () =>
          resolve(done(status >= 200 && status < 300, status, status >= 300 ? `HTTP ${status}` : null)),
        )
      },
    )
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    )
    deadline.unref()
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)))
    req.on('error', (err) => resolve(done(false, null, err.message)))
    req.on('close', () => clearTimeout(deadline))
    req.end(body)
  })
}
