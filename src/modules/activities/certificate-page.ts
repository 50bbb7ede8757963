import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../shared/errors'
import { certificateByCode, verifyServiceCertificate } from './certificates'
import { VerificationCodeParams } from './schemas'

/**
 * The page a verification URL opens (the address and QR code printed on every certificate): a resident scans the
 * code or types the address, and the browser shows whether the certificate is genuine and what it certifies. The
 * same route answers the JSON of verifyServiceCertificate to `Accept: application/json`. Outside /api/v1 and not
 * in the OpenAPI document (like /docs); no token; the verification budget per address of the API operation, in
 * the same counter (`certificate-verify:<address>`), so the page is no way around it.
 */

/** Only inline styles: no script, image, font or frame, from anywhere. */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
const VERIFY_WINDOW_MS = 60_000

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** JSON only when asked for it and not for a page; a browser (text/html) or curl (any) gets the page. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''
  return /\bapplication\/(?:[\w.+-]+\+)?json\b/i.test(accept) && !/\btext\/html\b/i.test(accept)
}

const STYLE = `
body{margin:0;background:#f4f4f2;color:#222;font:16px/1.6 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1rem}
.status{font-weight:bold;padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem}
.ok{background:#e6f4ea;color:#1e6b34}.bad{background:#fdecea;color:#a4231c}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0}
dt{color:#666}dd{margin:0;word-break:break-all}
footer{margin-top:1.2rem;font-size:.85rem;color:#666}`

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>志愿服务记录证明查验</h1>
${body}
</main>
</body>
</html>
`
}

function printedAt(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso))
}

type Found = NonNullable<Awaited<ReturnType<typeof certificateByCode>>>

export function certificatePage(c: Found, timeZone: string): string {
  const status = c.valid
    ? '<p class="status ok">✓ 有效：本证明由本系统出具，内容与下列记录一致。</p>'
    : '<p class="status bad">✗ 已撤销：本证明已失效，请勿采信。</p>'
  const facts: [string, string][] = [
    ['证明编号', c.serialNumber],
    ['姓名', c.memberName],
    ['志愿服务时长', `${c.totalHours} 小时`],
    ['服务期间', `${c.from} 至 ${c.to}`],
    ['出具单位', c.issuer],
    ['出具时间', printedAt(c.issuedAt, timeZone)],
    ['状态', c.valid ? '有效' : '已撤销'],
  ]
  if (c.revokedAt) facts.push(['撤销时间', printedAt(c.revokedAt, timeZone)])
  const list = facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')
  return page(
    `志愿服务记录证明 ${c.serialNumber}`,
    `${status}\n<dl>\n${list}\n</dl>\n<footer>请核对纸质证明上的编号、姓名与时长是否与本页一致。所列时长仅含经核实的服务记录。</footer>`,
  )
}

const NOT_FOUND_PAGE = page(
  '未找到证明',
  '<p class="status bad">未找到与该验证码对应的证明。</p>\n<p>请核对验证码（字母不区分大小写，空格和连字符可省略）；仍查不到时，该证明不是本系统出具的。</p>',
)
const RATE_LIMITED_PAGE = page('查验过于频繁', '<p class="status bad">查验过于频繁，请稍后再试。</p>')

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(html)
}

export const certificatePageRoutes: FastifyPluginAsync = async (app) => {
  const perAddress = app.rateLimit({
    max: app.settings.loginRateLimit,
    timeWindow: VERIFY_WINDOW_MS,
    keyGenerator: (request) => `certificate-verify:${request.ip}`,
  })

  // A page asks for a page back: 404 and 429 (and a code that cannot be one) answer HTML to a browser; a JSON
  // client gets the API's problem+json from the app's error handler, as from verifyServiceCertificate.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (wantsJson(request)) throw err
    if (err instanceof DomainError && err.code === 'rate_limited')
      return sendPage(reply, 429, RATE_LIMITED_PAGE)
    if (err.validation) return sendPage(reply, 404, NOT_FOUND_PAGE)
    throw err
  })

  app.get<{ Params: { verificationCode: string } }>(
    '/service-certificates/:verificationCode',
    {
      onRequest: perAddress,
      schema: { hide: true, params: VerificationCodeParams },
      // After the app's onSend (which writes the JSON API's headers): this answer may be a page with inline styles.
      onSend: (_request, reply, payload, done) => {
        reply.header('content-security-policy', PAGE_CSP)
        reply.header('cache-control', 'no-store')
        reply.header('vary', 'Accept')
        done(null, payload)
      },
    },
    async (request, reply) => {
      const code = request.params.verificationCode
      if (wantsJson(request))
        return reply.type('application/json').send(await verifyServiceCertificate(app.db, code))
      const found = await certificateByCode(app.db, code)
      if (!found) return sendPage(reply, 404, NOT_FOUND_PAGE)
      return sendPage(reply, 200, certificatePage(found, app.settings.timezone))
    },
  )
}
