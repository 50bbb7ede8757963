import type { Middleware } from 'openapi-fetch'
import type { operations, paths } from './schema.js'

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch'
type KeyHeader = 'idempotency-key' | 'Idempotency-Key'

/** Whether an operation of the generated types declares an Idempotency-Key header parameter. */
type TakesKey<Op> = Op extends { parameters: { header: infer H } }
  ? [Extract<keyof H, KeyHeader>] extends [never]
    ? false
    : true
  : false

/** The ids of the operations that declare an Idempotency-Key, from the generated types. */
export type IdempotentOperationId = {
  [K in keyof operations]: TakesKey<operations[K]> extends true ? K : never
}[keyof operations]

/** `METHOD /path` of one operation id, from the generated types. */
type RouteOf<Id extends keyof operations> = {
  [P in keyof paths]: {
    [M in Method]: paths[P][M] extends operations[Id]
      ? operations[Id] extends paths[P][M]
        ? `${Uppercase<M>} ${P & string}`
        : never
      : never
  }[Method]
}[keyof paths]

/**
 * The operations that move points or stock and so take an `Idempotency-Key`: the client sets one (a random
 * UUID) on each call that has none and sends the same key when it repeats the call. The type check makes the
 * list exactly the operations of the generated types that declare the header, each with its own method and
 * path; client/test/package.test.ts checks it against openapi/openapi.json.
 */
export const IDEMPOTENT_OPERATIONS = {
  issueServiceCertificate: 'POST /api/v1/members/{id}/service-certificates',
  finalizeRound: 'POST /api/v1/scoring-rounds/{id}/finalize',
  createAdjustment: 'POST /api/v1/ledger/adjustments',
  reverseTransaction: 'POST /api/v1/ledger/transactions/{id}/reverse',
  receiveStock: 'POST /api/v1/rewards/{id}/stock',
  writeOffStock: 'POST /api/v1/rewards/{id}/write-offs',
  createRedemption: 'POST /api/v1/redemptions',
  createClaimsBatch: 'POST /api/v1/claims/batch',
  correctServiceHours: 'POST /api/v1/activities/{id}/participants/{memberId}/corrections',
  requestServiceCertificate: 'POST /api/v1/service-certificate-requests',
  declineServiceCertificateRequest: 'POST /api/v1/service-certificate-requests/{id}/decline',
  revokeServiceCertificate: 'POST /api/v1/service-certificates/{id}/revoke',
} as const satisfies { [Id in IdempotentOperationId]: RouteOf<Id> }

const ROUTES: ReadonlySet<string> = new Set(Object.values(IDEMPOTENT_OPERATIONS))

/** Makes the generated Idempotency-Key header parameter optional: the client supplies it. */
type KeyOptional<Op> = Op extends { parameters: { header: infer H } }
  ? [Extract<keyof H, KeyHeader>] extends [never]
    ? Op
    : Omit<Op, 'parameters'> & {
        parameters: Omit<Op['parameters'], 'header'> & {
          header?: Omit<H, KeyHeader> & { [K in Extract<keyof H, KeyHeader>]?: string }
        }
      }
  : Op

/** The generated `paths`, with each Idempotency-Key optional (the client sets one when it is left out). */
export type ClientPaths = {
  [P in keyof paths]: { [M in keyof paths[P]]: KeyOptional<paths[P][M]> }
}

/** Sets a fresh Idempotency-Key on the idempotent operations called without one. */
export const idempotencyKeys: Middleware = {
  onRequest({ request, schemaPath }) {
    if (ROUTES.has(`${request.method} ${schemaPath}`) && !request.headers.has('idempotency-key')) {
      request.headers.set('Idempotency-Key', crypto.randomUUID())
    }
    return undefined
  },
}
