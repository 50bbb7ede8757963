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

/** RFC 3339 with the zone's offset, e.g. 2026-11-27T13:18:00+08:00. */
export function formatInZone(at: Date, timeZone: string): string {
  const p = parts(at, timeZone)
  const off = Math.round(offsetMs(at, timeZone) / 60000)
  const sign = off < 0 ? '-' : '+'
  const abs = Math.abs(off)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${p.y}-${pad(p.m)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** A real day of the Gregorian calendar, years 1-9999 (PostgreSQL has no year 0; 2026-02-30 is no day). */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number
  return day <= days
}
