/**
 * Masks of personal data shown to people who need to recognise someone, not to reach them: the service
 * request board, certificates issued before identity documents, the redemption counter's lookup.
 */

/** "13812345678" -> "138****5678"; shorter numbers keep only their last two characters. */
export function maskPhone(phone: string | null | undefined): string | null {
  const p = phone?.replace(/\s+/g, '') ?? ''
  if (!p) return null
  if (p.length >= 11) return `${p.slice(0, 3)}****${p.slice(-4)}`
  return `${'*'.repeat(Math.max(p.length - 2, 1))}${p.slice(-2)}`
}
