import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sendIdempotent } from '../../plugins/idempotency'
import { IdempotencyHeaders, problems } from '../../shared/schemas'
import * as service from './corrections'
import { CorrectServiceHoursBody, HoursCorrections, ServiceHoursCorrected } from './corrections-schemas'
import type { EvidenceHooks } from './hooks'
import { ParticipantParams } from './schemas'

const TAGS = ['activities']

/** 更正 (issue 18): correcting verified hours, and reading the corrections. */
export const correctionRoutes: FastifyPluginAsyncTypebox<{ evidenceHooks: EvidenceHooks }> = async (
  app,
  opts,
) => {
  const hooks = opts.evidenceHooks

  app.post(
    '/activities/:id/participants/:memberId/corrections',
    {
      schema: {
        tags: TAGS,
        operationId: 'correctServiceHours',
        summary:
          "Correct a member's verified hours at a verified activity (更正; secretary who did not take part)",
        description:
          "Idempotent under Idempotency-Key. A secretary (or admin) over the activity's unit (grid workers and " +
          "other roles: 403; outside the caller's scope: 404); one who took part in the activity is 403 recused " +
          "(nobody corrects their own or a colleague's record there). The activity must be verified (else 409 " +
          'invalid_state: use recordParticipation); the member must be a participant (else 404). `hours` from 0.00 ' +
          "(strikes a wrong record) to the activity's length (above: 422 out_of_range with maxHours); the same " +
          'figure as now: 409 invalid_state. `reason` is required. The correction is appended (never edited), ' +
          'audited, and from then on is the figure that counts: getServiceHours and its CSV, certificates issued ' +
          "afterwards, the reports; getActivity shows the participant's `hours` (current) beside `verifiedHours`. " +
          'A claim drafted from the participation follows while submitted (its quantity becomes the corrected ' +
          'hours, or it is withdrawn at 0.00): claimFollowed true; a claim being scored, scored or posted is left ' +
          'alone (claimFollowed false, with claimId and claimStatus, to decide on an adjustment).',
        params: ParticipantParams,
        headers: IdempotencyHeaders,
        body: CorrectServiceHoursBody,
        response: { 201: ServiceHoursCorrected, ...problems(403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        service.correctServiceHours(
          app.db,
          request.caller,
          request.headers['idempotency-key'],
          request.params.id,
          request.params.memberId,
          request.body,
          hooks,
        ),
      ),
  )

  app.get(
    '/activities/:id/participants/:memberId/corrections',
    {
      schema: {
        tags: TAGS,
        operationId: 'listHoursCorrections',
        summary: "The corrections of a member's hours at an activity, oldest first (staff, the member)",
        description:
          "A secretary or grid worker over the activity's unit, or the member themself (another member: 404; other " +
          "roles: 403; outside the caller's scope: 404). Each correction with the figure it replaced, the new " +
          'one, the reason, who made it and when; `verifiedHours` is the figure as verified (null while the ' +
          'activity is open), `hours` the current one.',
        params: ParticipantParams,
        response: { 200: HoursCorrections, ...problems(403, 404) },
      },
    },
    async (request) =>
      service.listHoursCorrections(app.db, request.caller, request.params.id, request.params.memberId),
  )
}
