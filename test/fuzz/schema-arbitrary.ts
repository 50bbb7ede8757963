import fc from 'fast-check'

/**
 * JSON Schema (the subset the OpenAPI document uses) -> fast-check arbitraries. `valid` keeps to the schema
 * so requests get past validation and reach the services; `mutated` breaks it in the ways clients do
 * (a missing field, an unknown one, a wrong type, a huge or odd value) so the 4xx paths run too.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents are untyped trees
export type Schema = Record<string, any>

export interface Hints {
  /** Ids that exist in the seeded database: a uuid field draws from them most of the time. */
  ids: string[]
  /** Known good values by property name (usernames, rubric item codes, verification codes...). */
  byName: Record<string, unknown[]>
  /** The document, for `$ref: '#/components/...'`. */
  root?: Schema
}

export function deref(s: Schema, hints: Hints): Schema {
  let out = s
  for (let i = 0; i < 10 && typeof out.$ref === 'string' && out.$ref.startsWith('#/'); i++) {
    const { $ref, ...rest } = out
    const target = ($ref as string)
      .slice(2)
      .split('/')
      .reduce<Schema | undefined>(
        (node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
        hints.root,
      )
    if (!target) throw new Error(`fuzz: cannot resolve ${$ref}`)
    out = { ...target, ...rest }
  }
  return out
}

const MAX_ARRAY = 4
const MAX_STRING = 24

/** Values that broke (or might break) parsers below the schema: they pass `format`/`type` but not Postgres or JS Date. */
const EDGE_DATES = ['0000-01-01', '9999-12-31', '1900-02-28', '2024-02-29', '1970-01-01', '2100-12-31']
const EDGE_DATE_TIMES = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2016-12-31T23:59:60Z',
  '2024-06-30T23:59:60+08:00',
  '1970-01-01T00:00:00.000001Z',
  '2026-01-01T00:00:00-23:59',
  '2026-01-01t00:00:00z',
  '2026-01-01 00:00:00Z',
]
const EDGE_UUIDS = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'urn:uuid:6f1f3c4e-5b7a-4c1d-9e2f-0a1b2c3d4e5f',
  '6F1F3C4E-5B7A-4C1D-9E2F-0A1B2C3D4E5F',
]

const oddString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: MAX_STRING }),
  fc.string({ unit: 'binary', maxLength: MAX_STRING }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'null',
    '-1',
    '1e309',
    'NaN',
    "'; drop table users; --",
    '%00',
    '../../etc/passwd',
    '😀'.repeat(50),
    '党员志愿服务积分',
    '\ud800',
    'x'.repeat(5000),
  ),
)

/** Anything JSON can carry, of any type: what a "wrong type" mutation puts in a field. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 63), 1e308, -1e308, 0.1, 1e-7, 12.345),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  oddString,
  fc.constantFrom(...EDGE_DATES, ...EDGE_DATE_TIMES, ...EDGE_UUIDS),
  fc.constant([]),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), {
    maxKeys: 3,
  }),
)

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type
  if (typeof s.type === 'string') return [s.type]
  if (s.properties) return ['object']
  if (s.items) return ['array']
  return []
}

function dateArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -400, max: 60 }).map((d) => isoDay(d)) },
    {
      weight: 2,
      arbitrary: fc
        .date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2100-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10)),
    },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_DATES) },
  )
}

function dateTimeArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -400 * 24, max: 60 * 24 }).map((h) => isoHour(h)) },
    {
      weight: 2,
      arbitrary: fc
        .date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2100-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
    },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_DATE_TIMES) },
  )
}

/** A day relative to today (UTC): most business rules care about "this year" and "not in the future". */
export function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)
}
function isoHour(offsetHours: number): string {
  return new Date(Math.floor(Date.now() / 3_600_000 + offsetHours) * 3_600_000).toISOString()
}

function stringArb(s: Schema, name: string | undefined, hints: Hints): fc.Arbitrary<string> {
  const min = s.minLength ?? 0
  const max = Math.min(s.maxLength ?? MAX_STRING, Math.max(min, MAX_STRING))
  const known = name
    ? (hints.byName[name] as string[] | undefined)?.filter((v) => typeof v === 'string')
    : undefined
  let base: fc.Arbitrary<string>
  switch (s.format) {
    case 'uuid':
      base = fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...hints.ids) },
        { weight: 1, arbitrary: fc.uuid() },
      )
      break
    case 'date':
      base = dateArb()
      break
    case 'date-time':
      base = dateTimeArb()
      break
    case 'uri':
      base = fc.webUrl()
      break
    default:
      if (s.pattern) {
        const re = new RegExp(s.pattern)
        base = fc.stringMatching(re).filter((v) => v.length >= min && v.length <= (s.maxLength ?? Infinity))
      } else {
        base = fc.oneof(
          { weight: 3, arbitrary: fc.string({ minLength: min, maxLength: max }) },
          { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: max }) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              '社区清洁',
              '张三',
              'a b',
              'x'.repeat(Math.max(min, s.maxLength ?? 1)),
            ),
          },
        )
      }
  }
  return known?.length
    ? fc.oneof({ weight: 2, arbitrary: base }, { weight: 3, arbitrary: fc.constantFrom(...known) })
    : base
}

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : undefined)
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : undefined)
  const min = lo ?? -1_000_000
  const max = hi ?? Math.max(min, 0) + 1_000_000
  const ints = fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
  const edges = fc.constantFrom(
    ...[lo, hi, 0, 1].filter((v): v is number => v !== undefined && v >= min && v <= max),
  )
  if (integer) return fc.oneof({ weight: 4, arbitrary: ints }, { weight: 1, arbitrary: edges })
  const cents = fc.integer({ min: Math.ceil(min * 100), max: Math.floor(max * 100) }).map((c) => c / 100)
  return fc.oneof(
    { weight: 3, arbitrary: cents },
    { weight: 1, arbitrary: ints },
    { weight: 1, arbitrary: edges },
  )
}

/** Values that satisfy the schema (with ids and names biased to what exists). */
export function valid(schema: Schema, hints: Hints, name?: string): fc.Arbitrary<unknown> {
  const s = deref(schema, hints)
  if (s.const !== undefined) return fc.constant(s.const)
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum)
  const alts = s.anyOf ?? s.oneOf
  if (Array.isArray(alts)) return fc.oneof(...alts.map((a: Schema) => valid({ ...a }, hints, name)))
  const types = typesOf(s)
  if (types.length === 0) return garbage
  const arbs = types.map((t): fc.Arbitrary<unknown> => {
    switch (t) {
      case 'null':
        return fc.constant(null)
      case 'boolean':
        return fc.boolean()
      case 'integer':
        return numberArb(s, true)
      case 'number':
        return numberArb(s, false)
      case 'string':
        return stringArb(s, name, hints)
      case 'array': {
        const item = valid(s.items ?? {}, hints, name)
        const minLength = s.minItems ?? 0
        const maxLength = Math.min(s.maxItems ?? MAX_ARRAY, Math.max(minLength, MAX_ARRAY))
        return s.uniqueItems
          ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
          : fc.array(item, { minLength, maxLength })
      }
      case 'object': {
        const props: Record<string, Schema> = s.properties ?? {}
        const model: Record<string, fc.Arbitrary<unknown>> = {}
        for (const [k, p] of Object.entries(props)) model[k] = valid(p, hints, k)
        return fc.record(model, { requiredKeys: (s.required ?? []).filter((k: string) => k in props) })
      }
      default:
        return garbage
    }
  })
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs)
}

/** Values that most likely break the schema at one spot (or none: a mutation may land on an optional field). */
export function mutated(schema: Schema, hints: Hints): fc.Arbitrary<unknown> {
  const s = deref(schema, hints)
  const types = typesOf(s)
  if (types.includes('object') && s.properties) {
    const props = Object.keys(s.properties)
    const required: string[] = s.required ?? []
    const base = valid(s, hints) as fc.Arbitrary<Record<string, unknown>>
    const options: fc.Arbitrary<unknown>[] = [
      // an unknown field
      fc
        .tuple(base, fc.constantFrom('extra', '__proto__', 'constructor', 'id', 'createdAt'), garbage)
        .map(([v, k, g]) => ({ ...v, [k]: g })),
      // an array or a scalar where an object belongs
      garbage,
    ]
    if (required.length)
      options.push(
        fc.tuple(base, fc.constantFrom(...required)).map(([v, k]) => {
          const { [k]: _gone, ...rest } = v
          return rest
        }),
      )
    if (props.length) {
      // one field of the wrong type or an odd value; sometimes a nested mutation
      options.push(
        fc.tuple(base, fc.constantFrom(...props), garbage).map(([v, k, g]) => ({ ...v, [k]: g })),
        fc
          .constantFrom(...props)
          .chain((k) => fc.tuple(base, fc.constant(k), mutated(s.properties[k], hints)))
          .map(([v, k, g]) => ({ ...v, [k]: g })),
      )
    }
    return fc.oneof(...options)
  }
  if (types.includes('array')) {
    const max = s.maxItems ?? 50
    return fc.oneof(
      garbage,
      fc.array(garbage, { maxLength: 3 }),
      fc.constant(
        Array.from({ length: max + 1 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
      ),
    )
  }
  if (types.includes('string')) {
    const huge = (s.maxLength ?? 100_000) + 1
    return fc.oneof(garbage, fc.constant('x'.repeat(Math.min(huge, 200_000))), fc.constant(''))
  }
  if (types.includes('integer') || types.includes('number')) {
    const edges = [s.minimum, s.maximum]
      .filter((v) => v !== undefined)
      .flatMap((v: number) => [v - 1, v + 1, v + 0.5])
    return fc.oneof(garbage, fc.constantFrom(-1, 2 ** 31, 2 ** 53 + 1, 1.5, ...edges))
  }
  return garbage
}

/** Mostly valid, often broken: both sides of validation get traffic. */
export function fuzzed(s: Schema, hints: Hints): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: valid(s, hints) }, { weight: 3, arbitrary: mutated(s, hints) })
}
