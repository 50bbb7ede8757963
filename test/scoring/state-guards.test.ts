import { type SQL, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Db, one, transaction } from '../../src/db/client'
import { CLAIM_STATUSES, OBJECTION_STATUSES, ROUND_STATUSES } from '../../src/db/schema/scoring'
import { canMoveClaim, canMoveObjection, canMoveRound } from '../../src/modules/scoring/domain'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld } from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { activeRubric, claim, openRound, panel } from '../helpers/scoring'

/**
 * The state machines of src/modules/scoring/domain.ts against the database's own triggers, behaviourally: for
 * every (from, to) pair, a row is put in `from` with the triggers off (so any state is reachable), then moved to
 * `to` with the triggers on, and rolled back. The trigger must accept exactly the moves the TypeScript table
 * allows and refuse the rest with P0001. Each `set` also writes the columns a CHECK ties to the status (round_id,
 * result, closed_at, ...), so only the state trigger can say no. The triggers' text is not read here: they may
 * live in a migration or a repeatable SQL file; what counts is what the database does.
 */
interface Machine<S extends string> {
  table: 'claims' | 'scoring_rounds' | 'objections'
  states: readonly S[]
  canMove: (from: S, to: S) => boolean
  set: (status: S) => SQL
}

const ACCEPTED = 'accepted'
const REFUSED = 'P0001'
const now = sql`now()`
const nil = sql`null`

let t: TestApp
let ids: { claim: string; round: string; objection: string }

beforeAll(async () => {
  t = await buildTestApp()
  const w = await createWorld(t.db)
  const rubricId = await activeRubric(t, w)
  const c = await claim(t, w.memberA.userId, {
    memberId: w.memberA.memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 1,
  })
  const round = await openRound(t, w, { rubricId, panelUserIds: await panel(t.db, w) })
  const objection = await one<{ id: string }>(
    t.db,
    sql`insert into objections (claim_id, round_id, member_id, filed_by, reason)
        values (${c.id}, ${round.id}, ${w.memberA.memberId}, ${w.memberA.userId}, 'state table test')
        returning id`,
  )
  ids = { claim: c.id, round: round.id, objection: objection!.id }
})

const claims = (): Machine<(typeof CLAIM_STATUSES)[number]> => ({
  table: 'claims',
  states: CLAIM_STATUSES,
  canMove: canMoveClaim,
  set: (s) => sql`status = ${s},
    round_id = ${s === 'submitted' || s === 'withdrawn' ? nil : sql`${ids.round}::uuid`},
    result = ${s === 'scored' || s === 'posted' ? sql`0` : nil},
    awarded = ${s === 'posted' ? sql`0` : nil}`,
})

const rounds = (): Machine<(typeof ROUND_STATUSES)[number]> => ({
  table: 'scoring_rounds',
  states: ROUND_STATUSES,
  canMove: canMoveRound,
  set: (s) => sql`status = ${s},
    closed_at = ${s === 'scoring' ? nil : now},
    publicity_ends_at = ${s === 'scoring' ? nil : sql`now() + interval '60 days'`}, -- above any 公示 floor
    finalized_at = ${s === 'finalized' ? now : nil}`,
})

const objections = (): Machine<(typeof OBJECTION_STATUSES)[number]> => ({
  table: 'objections',
  states: OBJECTION_STATUSES,
  canMove: canMoveObjection,
  set: (s) => sql`status = ${s}, resolved_at = ${s === 'open' ? nil : now}`,
})

class Rollback extends Error {}

/** Puts the row in `from` (triggers off), moves it to `to` (triggers on), rolls back; says what happened. */
async function tryMove<S extends string>(db: Db, m: Machine<S>, id: string, from: S, to: S): Promise<string> {
  const table = sql.identifier(m.table)
  try {
    await transaction(db, async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`)
      await tx.execute(sql`update ${table} set ${m.set(from)} where id = ${id}`)
      await tx.execute(sql`set local session_replication_role = origin`)
      await tx.execute(sql`update ${table} set ${m.set(to)} where id = ${id}`)
      throw new Rollback()
    })
  } catch (err) {
    if (err instanceof Rollback) return ACCEPTED
    const why = await refusal(Promise.reject(err))
    // A SQLSTATE other than P0001 (a CHECK's 23514, a typo's 42703) shows in the diff with its message.
    return why.code === REFUSED ? REFUSED : `${why.code}: ${why.message}`
  }
  throw new Error('unreachable: the transaction always ends in Rollback or an error')
}

async function compare<S extends string>(m: Machine<S>, id: string) {
  const expected: Record<string, string> = {}
  const actual: Record<string, string> = {}
  for (const from of m.states)
    for (const to of m.states) {
      if (from === to) continue
      const pair = `${from} -> ${to}`
      expected[pair] = m.canMove(from, to) ? ACCEPTED : REFUSED
      actual[pair] = await tryMove(t.db, m, id, from, to)
    }
  expect(actual).toEqual(expected)
  // The table is not empty either way: a trigger that refused everything, or allowed everything, would fail above.
  expect(Object.values(expected)).toContain(ACCEPTED)
  expect(Object.values(expected)).toContain(REFUSED)
}

/** A state with no move out is final: the database freezes such a row; a live row takes updates that keep it. */
async function finalStatesFrozen<S extends string>(m: Machine<S>, id: string) {
  const expected: Record<string, string> = {}
  const actual: Record<string, string> = {}
  for (const s of m.states) {
    const final = m.states.every((to) => !m.canMove(s, to))
    expected[s] = final ? REFUSED : ACCEPTED
    actual[s] = await tryMove(t.db, m, id, s, s)
  }
  expect(actual).toEqual(expected)
}

describe('scoring state tables (domain.ts) against the database triggers', () => {
  it('claims: the trigger accepts exactly the moves CLAIM_MOVES allows', async () => {
    await compare(claims(), ids.claim)
  })

  it('rounds: the trigger accepts exactly the moves ROUND_MOVES allows', async () => {
    await compare(rounds(), ids.round)
  })

  it('objections: the trigger accepts exactly the moves OBJECTION_MOVES allows', async () => {
    await compare(objections(), ids.objection)
  })

  it('a row in a final state (no move out) is frozen; a row in a live state takes updates that keep it', async () => {
    await finalStatesFrozen(claims(), ids.claim)
    await finalStatesFrozen(rounds(), ids.round)
    await finalStatesFrozen(objections(), ids.objection)
  })
})
