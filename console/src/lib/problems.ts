/**
 * How an API error reads in the console: one table of messages keyed by the problem's stable `code` (every code
 * the OpenAPI document lists: the compiler insists on each), in Chinese and English. Where a problem carries
 * more (the fields of a 400, the stock left, the threshold), the message says it; a code this table does not
 * know (a newer server) shows the problem's own title; never raw JSON.
 */
import type { Lang } from '../i18n'
import { translate } from '../i18n'
import { isProblem, type ProblemError, ResponseError } from './api'

type ProblemCode = ProblemError['code']

export const PROBLEM_MESSAGES: Record<ProblemCode, readonly [string, string]> = {
  validation_failed: ['填写的内容有误，请检查后重试。', 'Some input is not valid; check it and retry.'],
  unauthorized: ['登录已失效，请重新登录。', 'Your session has ended; sign in again.'],
  forbidden: ['当前身份无权进行此操作。', 'Your role does not allow this.'],
  recused: ['与本人相关的事项需回避，不能由您办理。', 'You are recused from acting on your own record.'],
  not_found: ['未找到该记录，或不在您的管辖范围内。', 'Not found, or outside your units.'],
  method_not_allowed: ['不支持此操作。', 'This action is not supported.'],
  conflict: ['与现有记录冲突（可能已办理过）。', 'This conflicts with an existing record (already done?).'],
  invalid_state: [
    '当前状态下不能进行此操作，请刷新后查看。',
    'Not possible in the current state; refresh and look.',
  ],
  already_revoked: ['已经撤销过了。', 'Already revoked.'],
  idempotency_key_reused: [
    '重复提交了不同的内容，请刷新后重试。',
    'A resubmission differed from the first; refresh and retry.',
  ],
  quorum_not_met: ['评分人数不足，尚不能结束评分。', 'Not enough panelists have scored yet.'],
  payload_too_large: ['提交的内容过大。', 'What you sent is too large.'],
  unsupported_media_type: ['不支持的文件格式。', 'Unsupported file type.'],
  insufficient_points: ['可用积分不足。', 'Not enough available points.'],
  out_of_stock: ['库存不足。', 'Out of stock.'],
  below_threshold: [
    '累计积分未达到本社区的兑换门槛。',
    'Lifetime points are below the redemption threshold.',
  ],
  limit_reached: ['已达到每人兑换上限。', 'The per-member limit is reached.'],
  out_of_range: ['数值超出允许范围。', 'A value is out of range.'],
  rate_limited: ['操作过于频繁，请稍后再试。', 'Too many attempts; wait a moment.'],
  internal_error: [
    '服务器内部错误，请稍后重试或联系管理员。',
    'Server error; retry later or contact the administrator.',
  ],
  unavailable: ['服务暂时不可用，请稍后重试。', 'The service is unavailable; retry shortly.'],
}

/** Extra words some codes carry, appended to the table's message. */
function detailOf(error: ProblemError, lang: Lang): string | null {
  const p = error.problem as Record<string, unknown>
  const zh = lang === 'zh'
  switch (error.code) {
    case 'validation_failed': {
      const errors = Array.isArray(p.errors)
        ? (p.errors as { field?: string; line?: number; message?: string }[])
        : []
      const parts = errors.slice(0, 3).map((e) => {
        const where = e.line !== undefined ? (zh ? `第 ${e.line} 行` : `line ${e.line}`) : (e.field ?? '')
        return translate(lang, 'error.field', { field: where, message: e.message ?? '' })
      })
      return parts.length ? parts.join(zh ? '；' : '; ') : null
    }
    case 'out_of_stock':
      return typeof p.available === 'number' ? (zh ? `现有 ${p.available} 件` : `${p.available} left`) : null
    case 'limit_reached':
      return typeof p.limit === 'number'
        ? zh
          ? `上限 ${p.limit}，已兑换 ${p.taken ?? '?'}`
          : `limit ${p.limit}, taken ${p.taken ?? '?'}`
        : null
    case 'below_threshold':
      return typeof p.threshold === 'string'
        ? zh
          ? `门槛 ${p.threshold}，累计 ${p.lifetimeEarned ?? '?'}`
          : `threshold ${p.threshold}, earned ${p.lifetimeEarned ?? '?'}`
        : null
    case 'rate_limited': {
      const after = error.response.headers.get('retry-after')
      return after ? (zh ? `${after} 秒后可重试` : `retry in ${after} s`) : null
    }
    case 'internal_error':
      return error.response.headers.get('x-request-id')
        ? `${zh ? '请求编号' : 'request id'} ${error.response.headers.get('x-request-id')}`
        : null
    default:
      return null
  }
}

/** The readable message of any error a call may throw. */
export function messageOf(error: unknown, lang: Lang): string {
  if (isProblem(error)) {
    const entry = PROBLEM_MESSAGES[error.code] as readonly [string, string] | undefined
    const base = entry ? entry[lang === 'zh' ? 0 : 1] : (error.problem.title ?? error.code)
    const extra = detailOf(error, lang)
    if (!extra) return base
    return lang === 'zh' ? `${base}（${extra}）` : `${base} (${extra})`
  }
  if (error instanceof ResponseError) return translate(lang, 'error.http', { status: error.status })
  if (error instanceof TypeError) return translate(lang, 'error.network')
  return translate(lang, 'error.unknown')
}
