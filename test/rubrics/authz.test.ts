import { beforeAll, expect } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type Actor,
  ALL_ACTORS,
  type AuthzContext,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
  signedIn,
} from '../helpers/authz'
import { uniq } from '../helpers/factories'

let t: TestApp
let w: AuthzWorld
let draftId: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
  draftId = await draft({ t, w })
})

/** A fresh draft on branch A, made by its secretary (one per cell, so writes never meet each other). */
async function draft({ t, w }: AuthzContext, year = 2030): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/rubrics',
    as: w.secretaryA,
    payload: { orgUnitId: w.branchA, year, name: uniq('细则'), fromTemplate: 'default' },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

const secretaries = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES })

/**
 * The contract names the secretary for createRubric/getRubric/listRubrics. Reading is wider on purpose (our
 * reading, documented in the OpenAPI description): the rubric is the rule book of its subtree that members
 * claim against, panelists score against and grid workers tag activities with, so whoever works or is a
 * member in branch A, or is staff above it, reads it; a secretary of grid A reads the rules that apply to
 * their grid. Outside that (branch B's people) it does not exist: 404.
 */
const READERS: readonly Actor[] = [
  'admin',
  'secretary',
  'secretaryParent',
  'secretaryChild',
  'panelist',
  'gridWorker',
  'clerk',
  'member',
]
const NOT_READERS: readonly Actor[] = [
  'secretarySibling',
  'gridWorkerSibling',
  'clerkSibling',
  'memberSibling',
]

/** activateRubric allows one active rubric per unit and year: each cell activates in a year of its own. */
const yearOf = (actor: Actor) => 2040 + ALL_ACTORS.indexOf(actor)

const rows: AuthzRow[] = [
  {
    operation: 'getDefaultRubricTemplate',
    request: () => ({ method: 'GET', url: '/api/v1/rubric-templates/default' }),
    expect: signedIn(200),
  },
  {
    operation: 'createRubric',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/rubrics',
      payload: { orgUnitId: w.branchA, year: 2031, name: uniq('细则'), fromTemplate: 'default' },
    }),
    expect: secretaries(201),
  },
  {
    operation: 'getRubric',
    request: () => ({ method: 'GET', url: `/api/v1/rubrics/${draftId}` }),
    expect: expectStatuses({ ok: 200, allowed: READERS, outside: NOT_READERS }),
  },
  {
    operation: 'listRubrics',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/rubrics?orgUnitId=${w.branchA}&limit=200` }),
    // A list filtered to a unit answers what the caller may read there: outsiders get an empty page, the
    // same answer as for a unit with no rubric (nothing tells them branch A has one).
    expect: signedIn(200),
    check: (res, _ctx, actor) => {
      if (res.statusCode !== 200) return
      const ids = res.json().items.map((r: { id: string }) => r.id)
      if (READERS.includes(actor)) expect(ids).toContain(draftId)
      else expect(ids).toEqual([])
    },
  },
  {
    operation: 'replaceRubricItems',
    request: async (ctx) => ({
      method: 'PUT',
      url: `/api/v1/rubrics/${await draft(ctx)}/items`,
      payload: {
        items: [
          {
            code: 'STUDY',
            name: '日常学习',
            kind: 'award',
            unit: 'occurrence',
            pointsPerUnit: '1.00',
            maxPerClaim: '4.00',
            capPerYear: '24.00',
          },
        ],
      },
    }),
    expect: secretaries(200),
    check: async (res, { t, w }, actor) => {
      // A refused replace left the draft's 20 items alone.
      const id = res.statusCode === 200 ? res.json().id : undefined
      if (id) expect(res.json().items).toHaveLength(1)
      else {
        const latest = await t.call({
          method: 'GET',
          url: `/api/v1/rubrics?orgUnitId=${w.branchA}&year=2030&limit=1`,
          as: w.admin,
        })
        expect(latest.json().items[0].items, actor).toHaveLength(20)
      }
    },
  },
  {
    operation: 'activateRubric',
    request: async (ctx, actor) => ({
      method: 'POST',
      url: `/api/v1/rubrics/${await draft(ctx, yearOf(actor))}/activate`,
    }),
    expect: secretaries(200),
    check: async (res, { t, w }, actor) => {
      const active = await t.call({
        method: 'GET',
        url: `/api/v1/rubrics?orgUnitId=${w.branchA}&year=${yearOf(actor)}&status=active`,
        as: w.admin,
      })
      expect(active.json().items).toHaveLength(res.statusCode === 200 ? 1 : 0)
    },
  },
]

runAuthzMatrix('authorisation matrix: rubrics', () => ({ t, w }), rows)
