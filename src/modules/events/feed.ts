import { type SQL, sql } from 'drizzle-orm'
import { type Db, rows } from '../../db/client'
import type { Role } from '../../db/schema/identity'
import { type Caller, hasRole, pathInScope, scopePaths } from '../../shared/authz'
import { forbidden, validation } from '../../shared/errors'
import { decodeCursor, encodeCursor, pageLimit } from '../../shared/pagination'
import { EVENT_JSON, type EventRow, envelope } from './envelope'
import type { ListEventsQuery } from './schemas'
import { EVENT_TYPES } from './types'
import { dispatchEvents } from './worker'

/** Staff read the events of their subtrees. */
export const FEED_STAFF: readonly Role[] = ['secretary', 'panelist', 'grid_worker', 'clerk']

/**
 * The pull feed (listEvents): the events the caller may see, oldest first, from a cursor that never misses or
 * repeats one. Time-ordered ids are taken before commit, so events become visible out of id order; the feed
 * reads by the number the dispatcher gives each committed event in commit order (event_feed.seq, see that
 * table), so no event can later appear behind a cursor handed out. The worker numbers events every second; the
 * feed numbers what has committed itself first (one indexed probe when there is nothing to number), so a reader
 * is never behind the writers it can see.
 */
export async function listEvents(db: Db, caller: Caller, q: ListEventsQuery) {
  const staff = hasRole(caller, FEED_STAFF)
  if (!staff && !caller.memberId) throw forbidden('the feed is for members and staff')
  const limit = pageLimit(q.limit)
  const after = decodeCursor(q.after, ['int'])?.[0] ?? 0
  const types = q.types
    ? q.types
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : []
  const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t))
  if (unknown) throw validation('types', `${unknown} is not an event type`)
  const visible: SQL[] = []
  if (caller.memberId) visible.push(sql`f.member_id = ${caller.memberId}::uuid`)
  if (staff && scopePaths(caller, FEED_STAFF).length)
    visible.push(pathInScope(sql`e.org_path`, caller, FEED_STAFF))
  const conds: SQL[] = [sql`(${sql.join(visible, sql` or `)})`, sql`f.seq > ${after}::bigint`]
  if (types.length) conds.push(sql`e.type = any (${`{${types.join(',')}}`}::text[])`)
  await dispatchEvents(db)
  const found = await rows<{ seq: string; event: EventRow }>(
    db,
    sql`select f.seq, ${EVENT_JSON} as event from event_feed f join events e on e.id = f.event_id
        where ${sql.join(conds, sql` and `)} order by f.seq limit ${limit}`,
  )
  const last = found[found.length - 1]
  return {
    items: found.map((r) => envelope(r.event)),
    nextCursor: encodeCursor([last ? Number(last.seq) : after]),
  }
}
