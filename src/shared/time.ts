/**
 * Calendar arithmetic in the service time zone (default Asia/Shanghai), with no library: Intl gives the
 * zone's offset at an instant, which is all we need for dates, years and "end of day N days later".
 */
// Building an Intl.DateTimeFormat costs tens of microseconds (locale and zone data are resolved each time);
// formatting with one is cheap. One formatter per zone, made on first use (a process sees one or two zones).
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, f)
  }
  return f
}

function parts(at: Date, timeZone: string) {
  const out = { y: 0, m: 0, d: 0, h: 0, mi: 0, s: 0 }
  for (const x of formatterFor(timeZone).formatToParts(at)) {
    if (x.type === 'year') out.y = Number(x.value)
    else if (x.type === 'month') out.m = Number(x.value)
    else if (x.type === 'day') out.d = Number(x.value)
    else if (x.type === 'hour') out.h = Number(x.value)
    else if (x.type === 'minute') out.mi = Number(x.value)
    else if (x.type === 'second') out.s = Number(x.value)
  }
  return out
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetMs(at: Date, timeZone: string): number {
  const p = parts(at, timeZone)
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s)
  return asUtc - Math.floor(at.getTime() / 1000) * 1000
}

/** YYYY-MM-DD of an instant in the zone. */
export function localDate(at: Date, timeZone: string): string {
  const p = parts(at, timeZone)
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
}

export function localYear(at: Date, timeZone: string): number {
  return parts(at, timeZone).y
}

/** The instant a local date starts (00:00 in the zone). */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const guess = Date.UTC(y, m - 1, d)
  // Two passes settle the offset even across a DST change (none in Asia/Shanghai, but TIMEZONE is a setting).
  let t = guess - offsetMs(new Date(guess), timeZone)
  t = guess - offsetMs(new Date(t), timeZone)
  return new Date(t)
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const t = new Date(Date.UTC(y, m - 1, d + days))
  return t.toISOString().slice(0, 10)
}

/** End of the local day `days` after the local date of `from` (the first instant of the next day). */
export function endOfDayAfter(from: Date, days: number, timeZone: string): Date {
  if (days === 0) return from
  return startOfLocalDate(addDays(localDate(from, timeZone), days + 1), timeZone)
}

/** [start, end) of a calendar year in the zone. */
export function yearRange(year: number, timeZone: string): { start: Date; end: Date } {
  return {
    start: startOfLocalDate(`${year}-01-01`, timeZone),
    end: startOfLocalDate(`${year + 1}-01-01`, timeZone),
  }
}

/**
 * The zone's offset at an instant, through a cache of 15-minute slices: every offset in use is a multiple of
 * 15 minutes and changes on a quarter hour of UTC, so one slice has one offset. A list of 200 rows with
 * three timestamps each then costs a few Intl calls, not 600.
 */
const SLICE_MS = 15 * 60_000
const offsets = new Map<string, Map<number, number>>()
function zoneOffsetMs(ms: number, timeZone: string): number {
  let byZone = offsets.get(timeZone)
  if (!byZone) {
    byZone = new Map()
    offsets.set(timeZone, byZone)
  }
  const slice = Math.floor(ms / SLICE_MS)
  let off = byZone.get(slice)
  if (off === undefined) {
    if (byZone.size > 20_000) byZone.clear()
    off = offsetMs(new Date(slice * SLICE_MS), timeZone)
    byZone.set(slice, off)
  }
  return off
}

// What PostgreSQL writes for a timestamptz: as text ("2026-11-27 13:43:03.123456+08", "...+05:30", "...+00") or
// through to_json ("2026-11-27T13:43:03.123456+08:00"); and any RFC 3339 instant ("...Z", "...+08:00").
const INSTANT_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)$/

/** The epoch milliseconds of an instant given as a Date or as text (fractions below a millisecond dropped). */
export function instantMs(at: Date | string): number {
  if (at instanceof Date) return at.getTime()
  const m = INSTANT_TEXT.exec(at)
  if (!m) throw new RangeError(`not an instant: ${JSON.stringify(at)}`)
  const ms = Number(`${m[7] ?? ''}000`.slice(0, 3))
  const local = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    ms,
  )
  if (m[8]) return local
  const off = (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0)) * 1000
  return m[9] === '-' ? local + off : local - off
}

/**
 * The service time zone (config TIMEZONE), set once by buildApp: the zone formatInstant writes in when a caller
 * has none at hand. A process serves one zone (its database sessions run in it too).
 */
let serviceZone = 'Asia/Shanghai'
export function setServiceTimeZone(timeZone: string): void {
  serviceZone = timeZone
}
export function serviceTimeZone(): string {
  return serviceZone
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

/**
 * THE format of every instant the API answers (JSON fields, CSV cells, problem details): RFC 3339 in the
 * service zone with its offset and exactly three fraction digits, e.g. 2026-12-05T14:46:15.123+08:00.
 * Takes a Date or the text PostgreSQL gives for a timestamptz (any offset, up to microseconds).
 */
export function formatInstant(at: Date | string, timeZone: string = serviceZone): string {
  const t = instantMs(at)
  if (!Number.isFinite(t)) throw new RangeError('not an instant: invalid date')
  const off = zoneOffsetMs(t, timeZone)
  const l = new Date(t + off)
  const y = l.getUTCFullYear()
  const ms = l.getUTCMilliseconds()
  const offMin = Math.round(off / 60_000)
  const abs = Math.abs(offMin)
  return (
    `${String(y).padStart(4, '0')}-${pad2(l.getUTCMonth() + 1)}-${pad2(l.getUTCDate())}` +
    `T${pad2(l.getUTCHours())}:${pad2(l.getUTCMinutes())}:${pad2(l.getUTCSeconds())}` +
    `.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}` +
    `${offMin < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  )
}

/** formatInstant, null staying null (the optional timestamps of a resource). */
export function formatInstantOrNull(
  at: Date | string | null | undefined,
  timeZone: string = serviceZone,
): string | null {
  return at === null || at === undefined ? null : formatInstant(at, timeZone)
}

/** A real day of the Gregorian calendar, years 1-9999 (PostgreSQL has no year 0; 2026-02-30 is no day). */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number
  return day <= days
}
