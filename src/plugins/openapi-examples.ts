import { type ErrorCode, problem } from '../shared/errors'
import { type AjvError, explainValidation } from './errors'

/**
 * Examples for /docs and openapi/openapi.json. Without them Swagger UI invents values from the schemas'
 * patterns ("ko@ZoxQiws|el)V", participantCount 2147483647), shows one 400 for every error and calls each
 * answer "Default Response". Each module keeps the examples of its operations next to them
 * (src/modules/<module>/examples.ts, keyed by operationId); app.ts hands them to the openapi plugin, which
 * puts them into the document. test/foundation/openapi-examples.test.ts checks that every operation has them
 * and that each one is valid against its own schema.
 */

/** A problem answer, as the operation gives it: its code (the status follows from it) and its detail. */
export interface ProblemExample {
  code: ErrorCode
  detail: string
  /** Members some codes add (errors, claimIds, available, ...). */
  [extra: string]: unknown
}

export interface OperationExample {
  /**
   * What the success answer is, in words (replaces "Default Response"); per status when there are two. Needed
   * unless the route describes its answer itself (a CSV or PDF file).
   */
  description?: string | Record<number, string>
  /** A JSON request body the operation takes (or the CSV text of an import). */
  request?: unknown
  /** The JSON body of the success answer. */
  response?: unknown
  /**
   * A request body the schema refuses: the 400 example is the API's own answer to it, worded by the errors
   * plugin. Without it the 400 example is the answer to the request example without its first required field.
   */
  invalid?: unknown
  /** Problems this operation answers, by status (several: each is shown); generic ones fill the rest. */
  errors?: Partial<Record<number, ProblemExample | ProblemExample[]>>
}

export type OperationExamples = Record<string, OperationExample>

/** The places and people the examples are about: one community's year, so ids agree across operations. */
export const EX = {
  unit: {
    root: '4b439e93-b5e5-48dc-b3e5-6db88f12c760',
    district: '59a0a573-33fd-4526-a95f-d06893a6426e',
    street: '600787c5-558c-4408-9298-525ba6231888',
    community: '8956a80c-c350-4e4c-84fc-708f6d6fdcf8',
    branch: '848a7bf0-515c-4dfb-bbf6-e9c6bbfb1a30',
    grid: 'de548771-c0a5-4ddc-aa8c-3588bab5602f',
    otherCommunity: 'bc4aca61-15a6-45c3-890e-77b1d78f443d',
    otherBranch: '18824443-4b02-4a32-8a7f-fce4e9019b21',
  },
  unitName: {
    district: '城关区',
    street: '石塔街道',
    community: '石塔社区',
    branch: '石塔社区第一党支部',
    grid: '石塔社区第三网格',
    otherCommunity: '青山社区',
    otherBranch: '青山社区党支部',
  },
  member: {
    zhang: '5c22d69e-4e33-4c04-9551-b3d6d0d972d3',
    li: 'a979758f-68cc-4a7f-a010-c98b9823ef9c',
    wang: '83450c9d-9f93-4bea-beb5-53e342fedaa8',
    zhao: '4d99981f-993d-455b-9b37-c8a35e17f2ad',
  },
  /** 张建国 (the member of most examples), 李秀英, 王志强 (retired), 赵丽华 (serves in the district hospital). */
  memberName: { zhang: '张建国', li: '李秀英', wang: '王志强', zhao: '赵丽华' },
  user: {
    admin: '87e0cffd-9c8b-4fe4-b683-739c3f7a9016',
    /** 刘秀珍, secretary of 石塔社区第一党支部. */
    secretary: '2b540ccc-2671-4a58-86b8-c70050c37900',
    panelists: [
      'e98c22ca-a3f0-4fee-b440-884d3c24f39d',
      'ff14104b-5575-4dd9-a63a-1ec06769c78c',
      '6c6b4f24-4045-49ee-9266-5fd306b23ad6',
    ],
    /** 陈伟, grid worker of the third grid. */
    gridWorker: '7de68f8a-6e15-4a86-861f-874f11495bcb',
    /** 赵敏, clerk of the 石塔社区 office. */
    clerk: '8a496e8c-b36c-4d66-b165-b8e42853d82c',
    /** 张建国's own login. */
    zhang: 'bba59e98-db0c-492b-a4b7-52cef88c7f82',
    /** 王秀兰's own login (a resident). */
    resident: 'f682dabb-a088-4973-943f-05c385ef9355',
  },
  /** 王秀兰, 78, a resident (群众) of 石塔社区 who orders help with her shopping and repairs. */
  resident: '2ebff068-7680-4c25-971e-17a10a6ca436',
  residentName: '王秀兰',
  residentInvitation: '87f5475e-5b96-416d-a4c8-f80f73a9517d',
  team: '389bdc1c-e92f-4731-9b5c-b80c1121de1e',
  activity: 'ab197f3d-3cb3-47bb-86bf-2d0090537a90',
  serviceRequest: 'c48676f9-64a2-4364-9fcb-7e8bd9c5b98c',
  certificate: 'b086a1d2-2143-40f2-933c-ddcc28283251',
  verificationCode: '7K3M9QXR2TB8VN4HJD6W1CPZ5F',
  certificateRequest: '5e0c2f7a-93b1-4d6e-8a4f-1c7b9d2e6a30',
  rubric: '1b2a945a-4671-4128-bc6e-ee7b87d298ad',
  lastYearRubric: 'ed93e169-895b-41a6-9f61-d8942184c9dd',
  claim: '0aa21a89-d90e-4853-84a1-298a4dfe4df9',
  otherClaim: '8fca6d85-2d01-4298-af4b-35872dcfe52a',
  round: 'bf0e83ab-5241-440a-81fc-a7a55aae8cd9',
  objection: 'ce65a7c5-3927-42cf-af16-6aa13666ae11',
  reward: '239652b2-cb04-4a21-9022-7a3990d3a87d',
  otherReward: 'f7240cb4-7049-4acd-8153-71c3ae4f6ace',
  grant: 'f9f56832-5c85-4444-ba09-fd390915a8a5',
  registration: '32caa248-bc36-4af4-a147-49584d3f6ed3',
  /** Time-ordered (version 7) ids, as ledger transactions, redemptions, stock movements and audit events get. */
  tx: {
    award: '01a25d76-da80-7cdf-b439-8b8455298258',
    adjustment: '01a262df-9a98-7540-8da5-cbb3bd6ad8bf',
    reversal: '01a262e6-8808-7d1a-957c-21e1ce501a32',
  },
  redemption: '01a267e9-3738-73c7-a348-4ee1d6b885a0',
  stock: {
    received: '01a23035-30d0-754b-aeb9-41bdaef19f0d',
    reserved: '01a267e9-3738-7572-bb5b-a17ebc66230e',
    writtenOff: '01a2695f-8f40-77d1-a923-222eaba34bb9',
  },
  auditEvent: '01a244f4-0ed8-7069-bb8e-53b56549ba28',
  /** The request id of the 500 example (what a caller quotes). */
  requestId: '3d6f0a52-8c1b-4e7a-9f25-6b0c1e4d8a73',
} as const

type Json = Record<string, unknown>

/** The route's own schemas of one operation (body, querystring, params, headers), for the 400 example. */
export interface RouteSchemas {
  method: string
  url: string
  schema: Partial<Record<'body' | 'querystring' | 'params' | 'headers', unknown>>
}

/** Validates `data` against one part of a route as the app does; the Ajv errors, or null when it is valid. */
export type PartValidator = (route: RouteSchemas, part: string, data: unknown) => AjvError[] | null

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
const isJson = (type: string) => type === 'application/json'

/** What every operation may answer, worded as the service words it. */
function genericProblem(status: number, secured: boolean): ProblemExample | undefined {
  switch (status) {
    case 401:
      return secured ? { code: 'unauthorized', detail: 'the access token is invalid or expired' } : undefined
    case 403:
      return { code: 'forbidden', detail: 'your roles do not allow this action' }
    case 413:
      return { code: 'payload_too_large', detail: 'request body exceeds the limit of 1 MiB' }
    case 415:
      return {
        code: 'unsupported_media_type',
        detail: 'send application/json (or text/csv where the operation says so)',
      }
    case 429:
      return { code: 'rate_limited', detail: 'too many requests; retry in 17 s' }
    case 500:
      return {
        code: 'internal_error',
        detail: `unexpected error; quote request id ${EX.requestId} when reporting it`,
      }
    case 503:
      return { code: 'unavailable', detail: 'the database is unavailable; retry shortly' }
    default:
      return undefined
  }
}

/** The resource the first path parameter names: "/members/{id}/balance" is about a member. */
const RESOURCES: Record<string, string> = {
  users: 'user',
  'org-units': 'org unit',
  members: 'member',
  registrations: 'registration',
  teams: 'team',
  activities: 'activity',
  'service-requests': 'service request',
  'service-certificates': 'certificate',
  'service-certificate-requests': 'certificate request',
  rubrics: 'rubric',
  claims: 'claim',
  'scoring-rounds': 'scoring round',
  objections: 'objection',
  transactions: 'ledger transaction',
  rewards: 'reward',
  redemptions: 'redemption',
  residents: 'resident',
  'resident-invitations': 'resident invitation',
}
function notFoundOf(path: string): ProblemExample {
  const segments = path.split('/')
  const at = segments.findIndex((s) => s.startsWith('{'))
  const what = at > 0 ? (RESOURCES[segments[at - 1] as string] ?? 'resource') : 'org unit'
  return { code: 'not_found', detail: `${what} not found` }
}

const toProblem = (e: ProblemExample) => {
  const { code, detail, ...extra } = e
  return problem(code, detail, extra)
}

/** The request example with its first required field left out (or the route's other parts made wrong). */
function badRequest(
  route: RouteSchemas | undefined,
  example: OperationExample | undefined,
  validate: PartValidator,
): ProblemExample | undefined {
  if (!route) return undefined
  const tries: [string, unknown][] = []
  if (example?.invalid !== undefined) tries.push(['body', example.invalid])
  const body = route.schema.body as { required?: string[] } | undefined
  if (body?.required?.length && example?.request && typeof example.request === 'object') {
    const { [body.required[0] as string]: _left, ...rest } = example.request as Json
    tries.push(['body', rest])
  }
  // A path with its first parameter mistyped ("42" for an id, "7K3M_9QXR" for a code), the others right.
  const params = [...route.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string)
  for (const wrong of ['42', '7K3M_9QXR']) {
    if (params.length) tries.push(['params', Object.fromEntries(params.map((p, i) => [p, i ? UUID : wrong]))])
  }
  const query = route.schema.querystring as { required?: string[]; properties?: Json } | undefined
  if (query?.required?.length) tries.push(['querystring', {}])
  if (query?.properties?.limit) tries.push(['querystring', { limit: '500' }])
  if (query?.properties?.from) tries.push(['querystring', { from: '2026-02-30' }])
  const idFilter = Object.entries(query?.properties ?? {}).find(([, p]) => (p as Json).format === 'uuid')
  if (idFilter) tries.push(['querystring', { [idFilter[0]]: '42' }])
  if (body && !body.required?.length) tries.push(['body', 'yes'])
  for (const [part, data] of tries) {
    const errors = validate(route, part, data)
    if (!errors) continue
    const plain = explainValidation(errors, part, data, route.schema[part as keyof RouteSchemas['schema']])
    return { code: 'validation_failed', detail: plain.detail, errors: plain.errors }
  }
  // Nothing of this operation can be wrong but the URL itself (app.ts frameworkErrors).
  return { code: 'validation_failed', detail: 'the URL is not validly percent-encoded' }
}

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e'

/**
 * Puts the examples into the document: request and success bodies, success descriptions, and one example
 * (or several, by code) per problem status. Operations without an entry keep what the routes say; the test
 * names them.
 */
export function applyExamples(
  doc: { paths?: Record<string, Record<string, Json>> },
  examples: OperationExamples,
  routes: Map<string, RouteSchemas>,
  validate: PartValidator,
): void {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue
      const id = operation.operationId as string | undefined
      const example = id ? examples[id] : undefined
      const route = id ? routes.get(id) : undefined
      const secured = ((operation.security as Json[] | undefined) ?? []).some((s) => Object.keys(s).length)

      const requestContent = (operation.requestBody as Json | undefined)?.content as
        | Record<string, Json>
        | undefined
      if (example?.request !== undefined && requestContent) {
        const type = Object.keys(requestContent).find(isJson) ?? Object.keys(requestContent)[0]
        if (type) (requestContent[type] as Json).example = example.request
      }

      const responses = (operation.responses ?? {}) as Record<string, Json>
      for (const [status, response] of Object.entries(responses)) {
        const content = response.content as Record<string, Json> | undefined
        const code = Number(status)
        if (code < 300 && example) {
          const words =
            typeof example.description === 'object' ? example.description[code] : example.description
          // A route's own words stay where the answer is one of several media types (JSON or CSV, JSON or PDF).
          const onlyJson = Object.keys(content ?? {}).every(isJson)
          if (words && (onlyJson || response.description === 'Default Response')) response.description = words
          const json = content?.['application/json']
          if (json && example.response !== undefined) json.example = example.response
          continue
        }
        const problemBody = content?.['application/problem+json']
        if (!problemBody || code < 400) continue
        const given = example?.errors?.[code]
        const list: ProblemExample[] = given
          ? [given].flat()
          : [
              code === 400
                ? badRequest(route, example, validate)
                : code === 404
                  ? notFoundOf(path)
                  : genericProblem(code, secured),
            ].filter((e): e is ProblemExample => e !== undefined)
        // problems() lists 401 everywhere (the OWASP rules want it); a public operation that names no 401 of its
        // own never answers one, and says so.
        if (code === 401 && !secured && list.length === 0) {
          response.description = 'unauthorized: not answered here, this operation needs no token'
          list.push({ code: 'unauthorized', detail: 'the access token is invalid or expired' })
        }
        if (list.length === 1) problemBody.example = toProblem(list[0] as ProblemExample)
        else if (list.length > 1) {
          problemBody.examples = Object.fromEntries(
            list.map((e, i) => [
              list.findIndex((o) => o.code === e.code) === i ? e.code : `${e.code}_${i + 1}`,
              { summary: e.detail, value: toProblem(e) },
            ]),
          )
        }
      }
    }
  }
}
