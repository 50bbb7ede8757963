import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, uniq, type World } from '../helpers/factories'

// listOpenActivities (GET /me/activities): what a member may sign up for, open now or later, with places left and
// their own sign-up; exactly what signUpForActivity would take them for.

const HOUR = 3_600_000
let t: TestApp
let w: World
/** Member A (branch A) registered (双报到, accepted) with community B. */
let ids: Record<string, string>

async function activity(
  orgUnitId: string,
  opts: {
    capacity?: number
    startsIn?: number
    signUpOpensAt?: string
    visibility?: 'subtree' | 'subtree_and_registered'
  } = {},
): Promise<string> {
  const startsAt = new Date(Date.now() + (opts.startsIn ?? 48) * HOUR)
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as: w.admin,
    payload: {
      orgUnitId,
      title: uniq('义务理发'),
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 2 * HOUR).toISOString(),
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
      ...(opts.signUpOpensAt ? { signUpOpensAt: opts.signUpOpensAt } : {}),
      ...(opts.visibility ? { visibility: opts.visibility } : {}),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

const list = (as: string, query = '') => t.call({ method: 'GET', url: `/api/v1/me/activities${query}`, as })

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  await t.db.execute(
    sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
        values (${w.memberA.memberId}, ${w.communityB}, 'accepted', now())`,
  )
  ids = {
    branch: await activity(w.branchA, { capacity: 1, startsIn: 10 }),
    community: await activity(w.communityA, { startsIn: 20 }),
    grid: await activity(w.gridA, { startsIn: 30 }),
    upcoming: await activity(w.branchA, {
      startsIn: 100,
      signUpOpensAt: new Date(Date.now() + 50 * HOUR).toISOString(),
    }),
    registered: await activity(w.branchB, { startsIn: 40, visibility: 'subtree_and_registered' }),
    registeredHomeOnly: await activity(w.branchB, { startsIn: 41 }),
    closed: await activity(w.branchA, { startsIn: -1 }),
  }
})

afterAll(async () => {
  await t.app.close()
})

const idsOf = (res: { json: () => { items: { id: string }[] } }) => res.json().items.map((a) => a.id)

describe('GET /api/v1/me/activities (listOpenActivities)', () => {
  it("a member sees their branch's, its line's and their registered community's, not another community's", async () => {
    const res = await list(w.memberA.userId)
    expect(res.statusCode, res.body).toBe(200)
    // The soonest first; the closed one (already started) and the home-only one of community B left out.
    expect(idsOf(res)).toEqual([ids.branch, ids.community, ids.grid, ids.registered, ids.upcoming])
    const upcoming = res.json().items.find((a: { id: string }) => a.id === ids.upcoming)
    expect(upcoming).toMatchObject({ signUp: 'upcoming', mySignUp: null, placesLeft: null })
    // Member B (branch B) sees community B's activities, never those of community A.
    const other = idsOf(await list(w.memberB.userId))
    expect(other).toEqual([ids.registered, ids.registeredHomeOnly])
    expect(idsOf(await list(w.memberA.userId, '?status=upcoming'))).toEqual([ids.upcoming])
    expect(idsOf(await list(w.memberA.userId, '?status=open'))).not.toContain(ids.upcoming)
  })

  it('shows the sign-up state and the places left, as signUpForActivity leaves them', async () => {
    const signUp = (as: string) =>
      t.call({ method: 'POST', url: `/api/v1/activities/${ids.branch}/sign-ups`, as })
    expect((await signUp(w.memberA.userId)).statusCode).toBe(201)
    const second = await createMemberUser(t.db, w.branchA)
    expect((await signUp(second.userId)).json().status).toBe('waitlisted')
    const mine = (await list(w.memberA.userId)).json().items.find((a: { id: string }) => a.id === ids.branch)
    expect(mine).toMatchObject({
      capacity: 1,
      confirmedCount: 1,
      placesLeft: 0,
      waitlisted: 1,
      signUp: 'open',
      mySignUp: { status: 'confirmed', position: null },
    })
    const theirs = (await list(second.userId)).json().items.find((a: { id: string }) => a.id === ids.branch)
    expect(theirs.mySignUp).toEqual({ status: 'waitlisted', position: 1 })
  })

  it('every activity listed is one the member may sign up for (the rule is signUpForActivity’s)', async () => {
    const member = await createMemberUser(t.db, w.gridA)
    for (const id of idsOf(await list(member.userId, '?status=open'))) {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/sign-ups`,
        as: member.userId,
      })
      expect(res.statusCode, `${id}: ${res.body}`).toBe(201)
    }
  })

  it('pages by cursor; staff without a member record and residents 403', async () => {
    const first = await list(w.memberA.userId, '?limit=2')
    expect(first.json().items).toHaveLength(2)
    const next = await list(w.memberA.userId, `?limit=2&cursor=${first.json().nextCursor}`)
    expect(idsOf(next)).toEqual([ids.grid, ids.registered])
    expect((await list(w.secretaryA)).statusCode).toBe(403)
    expect((await list(w.clerkA)).statusCode).toBe(403)
  })
})
