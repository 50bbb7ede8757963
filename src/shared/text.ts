/**
 * The one text rule of every way in (JSON bodies and queries through the schemas' patterns, the CSV member
 * import through isPlainText, problem details through replaceForbidden): no C0 control character but tab,
 * line feed and carriage return, no DEL, no C1 control, and no bidirectional embedding, override or isolate
 * (U+202A-U+202E, U+2066-U+2069, which make a name read backwards: "Trojan Source"). PostgreSQL text cannot
 * hold NUL (that was a 500), and escapes have no business in names shown on notice boards, CSV files and PDFs.
 * Written as the inside of a regular expression character class, in the escapes JSON Schema patterns use.
 */
export const FORBIDDEN_TEXT_CHARS =
  '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069'

const FORBIDDEN = new RegExp(`[${FORBIDDEN_TEXT_CHARS}]`)
const FORBIDDEN_ALL = new RegExp(`[${FORBIDDEN_TEXT_CHARS}]`, 'g')

/** True when `s` holds no character FORBIDDEN_TEXT_CHARS names. */
export function isPlainText(s: string): boolean {
  return !FORBIDDEN.test(s)
}

/** The first forbidden character of `s` as "U+0007", or undefined when the text is plain. */
export function firstForbiddenChar(s: string): string | undefined {
  const m = FORBIDDEN.exec(s)
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined
}

/** Every forbidden character replaced (by U+FFFD unless told): for echoing what a client sent. */
export function replaceForbidden(s: string, by = '\uFFFD'): string {
  return s.replace(FORBIDDEN_ALL, by)
}
