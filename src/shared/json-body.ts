import type { FastifyRequest } from 'fastify'
import { validation } from './errors'

/**
 * JSON numbers are read as doubles, so `1.0000000000000000001` arrived as 1 and was taken as an amount of 1.00
 * although the contract refuses more than two fraction digits. A number literal whose exact decimal value is
 * not the value of the double JSON.parse makes of it (compared as the normalised digits and exponent of the
 * literal and of the double's shortest form, String(n)) is refused, naming the field: send it as a string.
 */

/** Digits and exponent of a decimal numeral ("-12.50e3" → "-125e2"), "0" for any zero. */
function normalise(numeral: string): string {
  let i = 0
  const negative = numeral[0] === '-'
  if (negative) i = 1
  let digits = ''
  let exponent = 0
  let inFraction = false
  for (; i < numeral.length; i++) {
    const c = numeral[i] as string
    if (c === '.') inFraction = true
    else if (c === 'e' || c === 'E') {
      exponent += Number(numeral.slice(i + 1))
      break
    } else {
      digits += c
      if (inFraction) exponent--
    }
  }
  let start = 0
  while (start < digits.length && digits[start] === '0') start++
  let end = digits.length
  while (end > start && digits[end - 1] === '0') {
    end--
    exponent++
  }
  if (start === end) return '0'
  return `${negative ? '-' : ''}${digits.slice(start, end)}e${exponent}`
}

/** True when the JSON number literal is exactly the double it parses to (its shortest decimal form). */
export function isExactNumber(literal: string): boolean {
  // Fifteen significant digits or fewer, no exponent: every such decimal is the shortest form of its double.
  if (literal.length <= 15 && !literal.includes('e') && !literal.includes('E')) return true
  const n = Number(literal)
  return Number.isFinite(n) && normalise(literal) === normalise(String(n))
}

type Frame =
  | { array: true; index: number }
  | { array: false; keyStart: number; keyEnd: number; expectKey: boolean }

/**
 * The first number literal of a valid JSON text that a double cannot hold exactly, with the path to it
 * ("items.0.amount", "" at the top), or undefined. One pass over the text; strings are skipped, not read.
 */
export function findInexactNumber(text: string): { literal: string; path: string } | undefined {
  const stack: Frame[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // a string: to the next quote not escaped by an odd run of backslashes
      let j = i + 1
      for (;;) {
        j = text.indexOf('"', j)
        if (j < 0) return undefined
        let k = j - 1
        while (text.charCodeAt(k) === 0x5c) k--
        if ((j - 1 - k) % 2 === 0) break
        j++
      }
      const top = stack[stack.length - 1]
      if (top && !top.array && top.expectKey) {
        top.keyStart = i
        top.keyEnd = j + 1
        top.expectKey = false
      }
      i = j + 1
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1
      for (; j < n; j++) {
        const d = text.charCodeAt(j)
        // digits, '.', 'e', 'E', '+', '-'
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d))
          break
      }
      const literal = text.slice(i, j)
      if (!isExactNumber(literal)) return { literal, path: pathOf(text, stack) }
      i = j
    } else {
      if (c === 0x7b) stack.push({ array: false, keyStart: -1, keyEnd: -1, expectKey: true })
      else if (c === 0x5b) stack.push({ array: true, index: 0 })
      else if (c === 0x7d || c === 0x5d) stack.pop()
      else if (c === 0x2c) {
        const top = stack[stack.length - 1]
        if (top?.array) top.index++
        else if (top) top.expectKey = true
      }
      i++
    }
  }
  return undefined
}

function pathOf(text: string, stack: Frame[]): string {
  return stack
    .map((f) => (f.array ? String(f.index) : String(JSON.parse(text.slice(f.keyStart, f.keyEnd)))))
    .join('.')
}

type Done = (err: Error | null, body?: unknown) => void
type JsonParser = (request: FastifyRequest, body: string, done: Done) => void

/**
 * The application/json parser: Fastify's own (prototype-poisoning protection included), then the scan for
 * numbers a double cannot hold. A valid body is scanned once; an invalid one never reaches the scan.
 */
export function exactJsonParser(parse: JsonParser): JsonParser {
  return (request, body, done) => {
    // Fastify's parser answers at once; its result is taken out so that `done` is called once, outside it.
    let error: Error | null = null
    let parsed: unknown
    parse(request, body, (err, value) => {
      error = err
      parsed = value
    })
    if (error) return done(error)
    const inexact = findInexactNumber(body)
    if (!inexact) return done(null, parsed)
    const shown = inexact.literal.length > 40 ? `${inexact.literal.slice(0, 40)}…` : inexact.literal
    done(
      validation(
        inexact.path || 'body',
        `the JSON number ${shown} cannot be read exactly (it would become ${Number(inexact.literal)}); send it as a string, "${shown}"`,
      ),
    )
  }
}
