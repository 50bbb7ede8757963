import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the audit operations for /docs (see src/plugins/openapi-examples.ts).

export const auditExamples: OperationExamples = {
  listAuditEvents: {
    description: 'A page of audit events, newest first: who changed what, before and after',
    response: {
      items: [
        {
          id: EX.auditEvent,
          at: '2026-12-05T14:46:15.123+08:00',
          actorUserId: EX.user.zhang,
          action: 'member.update',
          targetType: 'member',
          targetId: EX.member.zhang,
          orgUnitId: EX.unit.branch,
          before: { phone: '13812345678', workUnit: null },
          after: { phone: '13812345679', workUnit: '石塔街道退休职工' },
        },
      ],
      nextCursor: null,
    },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
}
