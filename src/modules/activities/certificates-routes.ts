import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { sendIdempotent } from '../../plugins/idempotency'
import { acceptNote, alsoAnswers } from '../../shared/csv'
import { Id, IdempotencyHeaders, IdParams, Page, PageQuery, problems } from '../../shared/schemas'
import * as requests from './certificate-requests'
import * as service from './certificates'
import { renderCertificatePdf } from './pdf'
import {
  CertificateRequest,
  CertificateRequestPage,
  CertificateVerification,
  DeclineCertificateRequestBody,
  IssueCertificateBody,
  ListCertificateRequestsQuery,
  RequestCertificateBody,
  RevokeCertificateBody,
  ServiceCertificate,
  VerificationCodeParams,
} from './schemas'

const TAGS = ['service certificates']
const CertificateParams = Type.Object({ id: Id, certificateId: Id })

/** JSON, or the printable PDF when the client asks for application/pdf (the same as getServiceCertificatePdf). */
async function sendCertificate(
  request: FastifyRequest,
  reply: FastifyReply,
  certificate: ServiceCertificate,
) {
  if (!/\bapplication\/pdf\b/i.test(request.headers.accept ?? '')) {
    return reply.type('application/json').send(certificate)
  }
  return sendCertificatePdf(request, reply, certificate)
}

/** The printable A4 PDF of a certificate as issued. */
async function sendCertificatePdf(
  request: FastifyRequest,
  reply: FastifyReply,
  certificate: ServiceCertificate,
) {
  const pdf = await renderCertificatePdf(
    certificate,
    request.server.settings.timezone,
    request.server.settings.publicBaseUrl,
  )
  return reply
    .type('application/pdf')
    .header('content-disposition', `inline; filename="certificate-${certificate.serialNumber}.pdf"`)
    .send(pdf)
}
const VERIFY_WINDOW_MS = 60_000

export const certificateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Guessing codes is already hopeless (130 bits); the limit keeps anyone from trying at speed. The auth
  // plugin registers @fastify/rate-limit (opt-in per route, 429 rate_limited). Counted per address in the shared
  // store (plugins/auth/rate-limit-store.ts: the database, or Redis), so N processes share one budget.
  const perAddress = app.rateLimit({
    max: app.settings.loginRateLimit,
    timeWindow: VERIFY_WINDOW_MS,
    keyGenerator: (request) => `certificate-verify:${request.ip}`,
  })

  app.post(
    '/members/:id/service-certificates',
    {
      schema: {
        tags: TAGS,
        operationId: 'issueServiceCertificate',
        summary: 'Issue a 志愿服务记录证明 of verified hours in a period (secretary, grid_worker)',
        description:
          'Idempotent under Idempotency-Key. Certifies only the verified service recorded by the issuing unit ' +
          "and its subtree (谁记录谁证明: a member who served in two communities gets one from each), with the holder's " +
          "identity document masked, their volunteer star, and the issuing unit's certificate settings (person " +
          'in charge, contact phone, seal text) as they are now: kept with the certificate, later changes do not ' +
          'rewrite it. With `requestId` it issues what the member asked for (requestServiceCertificate: its ' +
          'period and unit; a request of another member or outside your units 404, already decided 409 ' +
          'invalid_state) and marks the request issued; without it `from` and `to` are required. The serial ' +
          'number is unique per issuing unit and year. The ' +
          'printable PDF of the certificate is GET {Location}.pdf (getServiceCertificatePdf).' +
          acceptNote('application/pdf', '/api/v1/members/{id}/service-certificates/{certificateId}.pdf'),
        ...alsoAnswers('application/pdf', 'getServiceCertificatePdf'),
        params: IdParams,
        headers: IdempotencyHeaders,
        body: IssueCertificateBody,
        response: { 201: ServiceCertificate, ...problems(403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        service.issueServiceCertificate(
          app.db,
          request.caller,
          request.params.id,
          request.body,
          request.headers['idempotency-key'],
        ),
        (certificate) =>
          sendCertificate(
            request,
            reply.header(
              'location',
              `/api/v1/members/${certificate.memberId}/service-certificates/${certificate.id}`,
            ),
            certificate,
          ),
      ),
  )

  app.get(
    '/members/:id/service-certificates',
    {
      schema: {
        tags: TAGS,
        operationId: 'listServiceCertificates',
        summary: "A member's certificates, newest first (staff over the member, the member)",
        description:
          'A secretary or grid worker over the member (home unit or 双报到 community), or the member ' +
          'themself; outside that: 404; a user with none of these roles and no member record: 403. Newest ' +
          'first; each certificate is the snapshot as issued, with its records and verification code.',
        params: IdParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: Page(ServiceCertificate), ...problems(403, 404) },
      },
    },
    async (request) =>
      service.listServiceCertificates(app.db, request.caller, request.params.id, request.query),
  )

  app.get(
    '/members/:id/service-certificates/:certificateId',
    {
      schema: {
        tags: TAGS,
        operationId: 'getServiceCertificate',
        summary: 'One certificate again, to reprint it',
        description:
          "Access as in listServiceCertificates; a certificate that is not this member's (or unknown): " +
          '404. Answers the stored snapshot as issued (hours are not recomputed), so a reprint shows the ' +
          'same serial number, hours and records.' +
          acceptNote('application/pdf', '/api/v1/members/{id}/service-certificates/{certificateId}.pdf'),
        ...alsoAnswers('application/pdf', 'getServiceCertificatePdf'),
        params: CertificateParams,
        response: { 200: ServiceCertificate, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      const certificate = await service.getServiceCertificate(
        app.db,
        request.caller,
        request.params.id,
        request.params.certificateId,
      )
      return sendCertificate(request, reply, certificate)
    },
  )

  app.get(
    '/members/:id/service-certificates/:certificateId.pdf',
    {
      schema: {
        tags: TAGS,
        operationId: 'getServiceCertificatePdf',
        summary: 'The printable PDF of a certificate as issued',
        description:
          'The certificate of getServiceCertificate (the same access and 404s) as a printable A4 PDF, ' +
          'Chinese embedded as a Noto Sans SC subset, with its serial number and verification code.',
        params: CertificateParams,
        response: {
          200: {
            description: 'The certificate as a PDF',
            content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } },
          },
          ...problems(403, 404),
        },
      },
    },
    async (request, reply) =>
      sendCertificatePdf(
        request,
        reply,
        await service.getServiceCertificate(
          app.db,
          request.caller,
          request.params.id,
          request.params.certificateId,
        ),
      ),
  )

  app.get(
    '/service-certificates/:verificationCode',
    {
      config: { public: true },
      onRequest: perAddress,
      schema: {
        tags: TAGS,
        operationId: 'verifyServiceCertificate',
        summary: 'Check a certificate by its verification code (no token needed)',
        description:
          'Shows only validity, serial number, name, total hours, issue date and issuer; a revoked certificate ' +
          'answers valid false with the date it was revoked (revokedAt). Unknown code: 404. ' +
          'Case, spaces and hyphens in the code do not matter. Rate limited per address: 429 rate_limited.',
        security: [],
        params: VerificationCodeParams,
        response: { 200: CertificateVerification, ...problems(404, 429) },
      },
    },
    async (request) => service.verifyServiceCertificate(app.db, request.params.verificationCode),
  )

  app.post(
    '/service-certificates/:id/revoke',
    {
      schema: {
        tags: TAGS,
        operationId: 'revokeServiceCertificate',
        summary: 'Revoke a certificate: the public check then says it is void, with the date (secretary)',
        description:
          'Secretaries over the issuing unit (admin); grid workers and other roles 403, a certificate outside ' +
          'your units 404. Idempotent under Idempotency-Key. Nothing else about the certificate changes (the ' +
          'database allows no other change); it stays listed with revokedAt and the reason, and its PDF is marked ' +
          'void. Revoking it again: 409 already_revoked.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: RevokeCertificateBody,
        response: { 200: ServiceCertificate, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        service.revokeServiceCertificate(
          app.db,
          request.caller,
          request.params.id,
          request.body,
          request.headers['idempotency-key'],
        ),
      ),
  )

  app.post(
    '/service-certificate-requests',
    {
      schema: {
        tags: TAGS,
        operationId: 'requestServiceCertificate',
        summary: 'Ask a unit for a certificate of your service in a period (member, for themself)',
        description:
          'The caller asks for their own certificate (a user without a member record: 403), from a unit that ' +
          'may certify them: their home unit or one above it, or a community they registered with (双报到) or one ' +
          "above it; another unit: 404. That unit's secretaries and grid workers see it in " +
          'listServiceCertificateRequests and issue it (issueServiceCertificate with requestId) or decline it ' +
          'with a reason. One waiting request per unit: another while it waits is 409 conflict. Idempotent ' +
          'under Idempotency-Key.',
        headers: IdempotencyHeaders,
        body: RequestCertificateBody,
        response: { 201: CertificateRequest, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        requests.requestServiceCertificate(
          app.db,
          request.caller,
          request.body,
          request.headers['idempotency-key'],
        ),
      ),
  )

  app.get(
    '/service-certificate-requests',
    {
      schema: {
        tags: TAGS,
        operationId: 'listServiceCertificateRequests',
        summary: 'Certificate requests, newest first (staff of the unit asked; a member their own)',
        description:
          'Secretaries and grid workers see the requests made to units in their subtrees; a member sees their ' +
          'own; a user with neither: 403. orgUnitId narrows to a subtree (outside your units: 404, unless you ' +
          'read your own requests there), status and memberId filter.',
        querystring: ListCertificateRequestsQuery,
        response: { 200: CertificateRequestPage, ...problems(403, 404) },
      },
    },
    async (request) => requests.listServiceCertificateRequests(app.db, request.caller, request.query),
  )

  app.post(
    '/service-certificate-requests/:id/decline',
    {
      schema: {
        tags: TAGS,
        operationId: 'declineServiceCertificateRequest',
        summary: 'Decline a certificate request with a reason (secretary, grid_worker)',
        description:
          'Staff over the unit asked; outside your units 404, other roles 403. Only a pending request (issued or ' +
          'declined already: 409 invalid_state); the member reads the reason in their list. Idempotent under ' +
          'Idempotency-Key.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: DeclineCertificateRequestBody,
        response: { 200: CertificateRequest, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        requests.declineServiceCertificateRequest(
          app.db,
          request.caller,
          request.params.id,
          request.body,
          request.headers['idempotency-key'],
        ),
      ),
  )
}
