import { sql } from 'drizzle-orm'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { type Db, one } from '../../src/db/client'
import type { TestApp } from './app'
import { createResidentUser, createUnit, createUser, createWorld, uniq, type World } from './factories'

/**
 * The authorisation matrix: one table per module, rows of (operation, request, expected status per actor),
 * run as one test per cell. Every actor is placed relative to the TARGET unit, branch A:
 * - inside: admin (root), secretary (on branch A), secretaryParent (on community A, the parent),
 *   gridWorker and panelist (on branch A), clerk (on community A), member (member A's own login);
 * - outside: secretaryChild (on grid A, below the target), secretarySibling (branch B),
 *   gridWorkerSibling (branch B), clerkSibling (on community B, the sibling office), memberSibling
 *   (member B's login);
 * - reached only through 双报到: secretaryRegistered, gridWorkerRegistered and clerkRegistered (on community C, a
 *   sibling of A and B, with which member A holds an accepted registration; a member of branch B holds a pending
 *   one there). Unless a row says otherwise they answer as their sibling actors in B do: a registration lets a
 *   community see the member and involve them in its own work, never reach into the member's home branch;
 * - anonymous: no token;
 * - resident (opt-in, issue 18): a resident (群众) of community A with their login (role resident there, no
 *   member record). A row runs this cell only when its `expect` names `resident` (everyone, signedIn and
 *   expectStatuses leave it out), so rows written before residents existed stay as they are; the rows of
 *   member-only and resident operations name it.
 * Later modules add their rows for their operations; they never write new ad-hoc permission tests.
 */
export const ACTORS = [
  'anonymous',
  'admin',
  'secretary',
  'secretaryParent',
  'secretaryChild',
  'secretarySibling',
  'panelist',
  'gridWorker',
  'gridWorkerSibling',
  'clerk',
  'clerkSibling',
  'member',
  'memberSibling',
  'secretaryRegistered',
  'gridWorkerRegistered',
  'clerkRegistered',
] as const
/** Actors whose cell runs only in rows that name them (see above). */
export const OPT_IN_ACTORS = ['resident'] as const
export type Actor = (typeof ACTORS)[number] | (typeof OPT_IN_ACTORS)[number]
export const ALL_ACTORS: readonly Actor[] = [...ACTORS, ...OPT_IN_ACTORS]

export interface AuthzWorld extends World {
  secretaryParent: string
  secretaryChild: string
  gridWorkerB: string
  /** Community C: member A's accepted 双报到 registration is there, member B's pending one too. */
  communityC: string
  secretaryC: string
  gridWorkerC: string
  clerkC: string
  /** A resident of community A with a login (the `resident` actor). */
  residentA: { residentId: string; userId: string }
  /** The user id acting as each actor (null: no token). */
  as: Record<Actor, string | null>
}

export async function createAuthzWorld(db: Db): Promise<AuthzWorld> {
  const w = await createWorld(db)
  const secretaryParent = await createUser(db, { grants: [['secretary', w.communityA]] })
  const secretaryChild = await createUser(db, { grants: [['secretary', w.gridA]] })
  const gridWorkerB = await createUser(db, { grants: [['grid_worker', w.branchB]] })
  const communityC = await createUnit(db, w.street, 'community', uniq('和平社区'))
  const secretaryC = await createUser(db, { grants: [['secretary', communityC]] })
  const gridWorkerC = await createUser(db, { grants: [['grid_worker', communityC]] })
  const clerkC = await createUser(db, { grants: [['clerk', communityC]] })
  const residentA = await createResidentUser(db, w.communityA, { name: '王阿姨' })
  await db.execute(
    sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
        values (${w.memberA.memberId}, ${communityC}, 'accepted', now())`,
  )
  await db.execute(
    sql`insert into member_registrations (member_id, org_unit_id, status)
        values (${w.memberB.memberId}, ${communityC}, 'pending')`,
  )
  return {
    ...w,
    secretaryParent,
    secretaryChild,
    gridWorkerB,
    communityC,
    secretaryC,
    gridWorkerC,
    clerkC,
    residentA,
    as: {
      anonymous: null,
      admin: w.admin,
      secretary: w.secretaryA,
      secretaryParent,
      secretaryChild,
      secretarySibling: w.secretaryB,
      panelist: w.panelistA,
      gridWorker: w.gridWorkerA,
      gridWorkerSibling: gridWorkerB,
      clerk: w.clerkA,
      clerkSibling: w.clerkB,
      member: w.memberA.userId,
      memberSibling: w.memberB.userId,
      secretaryRegistered: secretaryC,
      gridWorkerRegistered: gridWorkerC,
      clerkRegistered: clerkC,
      resident: residentA.userId,
    },
  }
}

/**
 * Each actor reached only through 双报到 answers, unless a row names it, as its counterpart in the sibling branch
 * B answers in that row (resolved when the row runs, so `{ ...secretaries(200), secretarySibling: 200 }` carries
 * over), and the row's check then sees it as that counterpart.
 */
export const REGISTERED_AS: Record<
  'secretaryRegistered' | 'gridWorkerRegistered' | 'clerkRegistered',
  Actor
> = {
  secretaryRegistered: 'secretarySibling',
  gridWorkerRegistered: 'gridWorkerSibling',
  clerkRegistered: 'clerkSibling',
}

/**
 * Expected statuses: `ok` for the listed actors, 404 for the listed outsiders, 401 for anonymous and
 * `denied` (403 by default) for everyone else; the 双报到 actors as their sibling counterparts unless listed.
 * Override single cells with `cells`.
 */
export function expectStatuses(spec: {
  ok: number
  allowed: readonly Actor[]
  outside?: readonly Actor[]
  denied?: number
  cells?: Partial<Record<Actor, number>>
}): Partial<Record<Actor, number>> {
  const out = {} as Record<Actor, number>
  const listed = (a: Actor) => spec.allowed.includes(a) || spec.outside?.includes(a)
  for (const a of ACTORS) {
    if (a in REGISTERED_AS && !listed(a)) continue
    out[a] =
      a === 'anonymous'
        ? 401
        : spec.allowed.includes(a)
          ? spec.ok
          : spec.outside?.includes(a)
            ? 404
            : (spec.denied ?? 403)
  }
  return { ...out, ...spec.cells }
}

/** Every actor gets `status` (anonymous included), or every signed-in actor with anonymous 401. */
export const everyone = (status: number): Partial<Record<Actor, number>> =>
  Object.fromEntries(ACTORS.filter((a) => !(a in REGISTERED_AS)).map((a) => [a, status]))
export const signedIn = (status: number): Partial<Record<Actor, number>> => ({
  ...everyone(status),
  anonymous: 401,
})

/** The usual shape: staff roles inside the target's subtree may, the same roles outside get 404. */
export const INSIDE_SECRETARIES: readonly Actor[] = ['admin', 'secretary', 'secretaryParent']
export const OUTSIDE_SECRETARIES: readonly Actor[] = ['secretaryChild', 'secretarySibling']

export interface AuthzContext {
  t: TestApp
  w: AuthzWorld
}

export interface AuthzRow {
  /** operationId of the served OpenAPI document */
  operation: string
  /** Builds the request afresh for each cell (create the objects it needs here, so cells stay independent). */
  request: (ctx: AuthzContext, actor: Actor) => InjectOptions | Promise<InjectOptions>
  /** A 双报到 actor left out answers as its sibling counterpart (REGISTERED_AS). */
  expect: Partial<Record<Actor, number>>
  /** Extra assertions on one cell's answer. */
  check?: (res: LightMyRequestResponse, ctx: AuthzContext, actor: Actor) => void | Promise<void>
}

/**
 * A fixture for a write row that is made again only once a cell has used it up: refused cells change
 * nothing (the runner and the row's check assert it), so the next cell may take the same object. `fresh`
 * says whether it is still in its starting state; a cell that changed it, allowed or wrongly, leaves the
 * next cell a new one, so one failure never cascades.
 */
export function reusable<T>(
  make: () => Promise<T>,
  fresh: (current: T) => Promise<boolean>,
): () => Promise<T> {
  let current: T | undefined
  return async () => {
    if (current === undefined || !(await fresh(current))) current = await make()
    return current
  }
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/** The same request about objects that do not exist: every id in its URL and body replaced by a new one. */
function aboutNothing(request: InjectOptions): InjectOptions {
  const ids = new Map<string, string>()
  const swap = (text: string) =>
    text.replace(UUID, (id) => {
      if (!ids.has(id)) ids.set(id, crypto.randomUUID())
      return ids.get(id)!
    })
  const headers = request.headers?.['idempotency-key']
    ? { ...request.headers, 'idempotency-key': crypto.randomUUID() }
    : request.headers
  return {
    ...request,
    url: swap(String(request.url)),
    ...(request.payload === undefined ? {} : { payload: JSON.parse(swap(JSON.stringify(request.payload))) }),
    ...(headers ? { headers } : {}),
  } as InjectOptions
}

const problemOf = (res: LightMyRequestResponse) => {
  const body = res.json()
  return { status: res.statusCode, code: body.code, detail: body.detail }
}

type Doc = { paths: Record<string, Record<string, { operationId?: string; responses?: object }>> }
const documented = new WeakMap<object, Map<string, string[]>>()

/** The statuses the served OpenAPI document lists for an operation. */
function documentedStatuses(t: TestApp, operationId: string): string[] | undefined {
  let byId = documented.get(t.app)
  if (!byId) {
    byId = new Map()
    for (const ops of Object.values((t.app.swagger() as Doc).paths))
      for (const op of Object.values(ops))
        if (op?.operationId) byId.set(op.operationId, Object.keys(op.responses ?? {}))
    documented.set(t.app, byId)
  }
  return byId.get(operationId)
}

const auditCount = async (db: Db) =>
  Number((await one<{ n: string }>(db, sql`select count(*) as n from audit_events`))?.n ?? 0)

/**
 * One test per (row, actor). A refused cell (4xx) must also have written no audit event, i.e. changed
 * nothing (every change writes one in its own transaction). Tests inside a file run one at a time, so
 * the global count is safe to compare. A 404 cell must be word for word the answer the same caller gets
 * about ids that do not exist: outside one's scope, nothing tells that the object is there.
 */
export function runAuthzMatrix(title: string, context: () => AuthzContext, rows: AuthzRow[]): void {
  describe(title, () => {
    for (const row of rows) {
      const optedIn = OPT_IN_ACTORS.filter((a) => row.expect[a] !== undefined)
      for (const actor of [...ACTORS, ...optedIn]) {
        const like = (REGISTERED_AS as Partial<Record<Actor, Actor>>)[actor]
        const inherited = like !== undefined && row.expect[actor] === undefined
        const expected = (inherited ? row.expect[like] : row.expect[actor]) as number
        it(`${row.operation} as ${actor} -> ${expected}`, async () => {
          const ctx = context()
          const request = await row.request(ctx, actor)
          const userId = ctx.w.as[actor]
          const before = await auditCount(ctx.t.db)
          const res = await ctx.t.call({ ...request, ...(userId ? { as: userId } : {}) })
          expect(expected, `row ${row.operation} says nothing of ${actor}`).toEqual(expect.any(Number))
          expect(res.statusCode, res.body).toBe(expected)
          expect(
            documentedStatuses(ctx.t, row.operation),
            'the statuses its OpenAPI operation lists',
          ).toContain(String(expected))
          if (expected >= 400) {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
            expect(await auditCount(ctx.t.db)).toBe(before)
          }
          await row.check?.(res, ctx, inherited ? like : actor)
          if (expected === 404) {
            const absent = await ctx.t.call({ ...aboutNothing(request), ...(userId ? { as: userId } : {}) })
            expect(problemOf(absent), 'the answer about ids that do not exist').toEqual(problemOf(res))
          }
        })
      }
    }
  })
}
