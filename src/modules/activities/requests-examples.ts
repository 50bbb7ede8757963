import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the service request operations (群众点单, issue 18: residents, teams, the board, 微心愿) for /docs
// (see src/plugins/openapi-examples.ts); spread into activitiesExamples.

/** 群众点单: 王秀兰, a resident of 石塔社区, asks for help herself; dispatched to 张建国, who took it on. */
const request = {
  id: EX.serviceRequest,
  orgUnitId: EX.unit.community,
  kind: 'service',
  requesterName: EX.residentName,
  requesterContact: '13705551234',
  residentId: EX.resident,
  title: '帮独居老人更换厨房灯泡',
  description: '石塔社区 4 号楼 2 单元 301，厨房吸顶灯不亮，老人行动不便，希望周末上门更换。',
  status: 'open',
  publishedAt: null,
  teamId: null,
  teamName: null,
  memberId: null,
  memberName: null,
  dispatchedAt: null,
  acceptedAt: null,
  completedAt: null,
  hours: null,
  completionNote: null,
  confirmedAt: null,
  rating: null,
  feedback: null,
  cancelledAt: null,
  cancelReason: null,
  declines: [],
  createdAt: '2026-11-19T10:02:36.417+08:00',
  updatedAt: '2026-11-19T10:02:36.417+08:00',
}
const dispatched = {
  ...request,
  status: 'dispatched',
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  dispatchedAt: '2026-11-19T10:30:05.118+08:00',
  updatedAt: '2026-11-19T10:30:05.118+08:00',
}
const toTeam = {
  ...request,
  status: 'dispatched',
  teamId: EX.team,
  teamName: '石塔社区红色志愿服务队',
  dispatchedAt: '2026-11-19T10:30:05.118+08:00',
  updatedAt: '2026-11-19T10:30:05.118+08:00',
}
const accepted = {
  ...dispatched,
  status: 'accepted',
  acceptedAt: '2026-11-19T12:41:50.902+08:00',
  updatedAt: '2026-11-19T12:41:50.902+08:00',
}
const completed = {
  ...accepted,
  status: 'completed',
  completedAt: '2026-11-21T11:05:13.377+08:00',
  hours: '1.50',
  completionNote: '已更换 LED 吸顶灯，顺带检查了燃气软管，无老化。',
  updatedAt: '2026-11-21T11:05:13.377+08:00',
}
const confirmed = {
  ...completed,
  status: 'confirmed',
  confirmedAt: '2026-11-21T16:20:48.015+08:00',
  rating: 5,
  feedback: '小张很细心，谢谢社区！',
  updatedAt: '2026-11-21T16:20:48.015+08:00',
}
const declined = {
  ...request,
  declines: [
    { memberId: EX.member.wang, reason: '本周在外地，无法上门', at: '2026-11-19T10:21:09.660+08:00' },
  ],
  updatedAt: '2026-11-19T10:21:09.660+08:00',
}
/** 微心愿: a school bag for her grandson, on the community's board. */
const wish = {
  ...request,
  kind: 'wish',
  title: '给孙子买一个新书包',
  description: '孙子今年上三年级，旧书包背带断了，希望有一个结实的双肩书包。',
  status: 'published',
  publishedAt: '2026-11-19T10:15:42.306+08:00',
  updatedAt: '2026-11-19T10:15:42.306+08:00',
}
const taken = {
  ...wish,
  status: 'accepted',
  memberId: EX.member.zhang,
  memberName: EX.memberName.zhang,
  acceptedAt: '2026-11-19T10:17:03.554+08:00',
  updatedAt: '2026-11-19T10:17:03.554+08:00',
}
const boardEntry = {
  id: EX.serviceRequest,
  orgUnitId: EX.unit.community,
  orgUnitName: EX.unitName.community,
  kind: 'wish',
  requesterName: '王**',
  title: wish.title,
  description: wish.description,
  publishedAt: wish.publishedAt,
  createdAt: wish.createdAt,
}

const stepState = (status: string, step: string, needs: string) => ({
  code: 'invalid_state' as const,
  detail: `the request is ${status}; ${step} needs ${needs}`,
})
const onlyDispatchedMember = {
  code: 'forbidden' as const,
  detail: 'only the member the request is dispatched to may take this step',
}

export const requestExamples: OperationExamples = {
  createServiceRequest: {
    description: 'The request, open: waiting to be dispatched to a member or published on the board',
    request: {
      kind: 'service',
      title: '帮独居老人更换厨房灯泡',
      description: '石塔社区 4 号楼 2 单元 301，厨房吸顶灯不亮，老人行动不便，希望周末上门更换。',
    },
    response: request,
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'requesterName: a resident orders for themself: it comes from your record',
        errors: [
          { field: 'requesterName', message: 'a resident orders for themself: it comes from your record' },
        ],
      },
      404: { code: 'not_found', detail: 'org unit not found' },
    },
  },
  listServiceRequests: {
    description: 'A page of requests, newest first',
    response: { items: [accepted], nextCursor: null },
  },
  listMyServiceRequests: {
    description: "A page of the caller's requests (a resident: the ones they placed), newest first",
    response: { items: [{ ...completed, declines: [] }], nextCursor: null },
    errors: { 403: { code: 'forbidden', detail: 'only a resident or a member has requests of their own' } },
  },
  listServiceRequestBoard: {
    description: 'A page of the board: published requests and wishes, most recently published first',
    response: { items: [boardEntry], nextCursor: null },
    errors: {
      403: { code: 'forbidden', detail: 'the board is for members and staff' },
      404: { code: 'not_found', detail: 'org unit not found' },
    },
  },
  getServiceRequest: {
    description: 'The request with its history of declines',
    response: { ...dispatched, declines: declined.declines },
  },
  dispatchServiceRequest: {
    description: 'The request, dispatched to the member or to the team',
    request: { teamId: EX.team },
    response: toTeam,
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'teamId: give exactly one of memberId and teamId',
        errors: [{ field: 'teamId', message: 'give exactly one of memberId and teamId' }],
      },
      409: stepState('accepted', 'dispatch', 'open'),
      422: {
        code: 'out_of_range',
        detail:
          'the member belongs to another part of the organisation and has not registered (双报到) with this community',
      },
    },
  },
  acceptServiceRequest: {
    description: 'The request, accepted by the member (of the team, the first one to accept)',
    response: accepted,
    errors: {
      403: onlyDispatchedMember,
      409: {
        code: 'invalid_state',
        detail: 'the request is accepted, and not for you; accept needs dispatched',
      },
    },
  },
  declineServiceRequest: {
    description:
      'The request, open again (dispatched to a team: still with the team); the decline is remembered',
    request: { reason: '本周在外地，无法上门' },
    response: declined,
    errors: { 403: onlyDispatchedMember, 409: stepState('accepted', 'decline', 'dispatched') },
  },
  publishServiceRequest: {
    description: "The request, published on the community's board",
    response: wish,
    errors: { 409: stepState('dispatched', 'publish', 'open') },
  },
  unpublishServiceRequest: {
    description: 'The request, off the board and open again',
    response: { ...wish, status: 'open', publishedAt: null, updatedAt: '2026-11-20T08:00:12.871+08:00' },
    errors: { 409: stepState('accepted', 'unpublish', 'published') },
  },
  takeServiceRequest: {
    description: 'The request, taken by the caller: accepted, theirs',
    response: taken,
    errors: {
      403: { code: 'forbidden', detail: 'only a member takes a request off the board' },
      409: stepState('accepted', 'take', 'published'),
    },
  },
  completeServiceRequest: {
    description: 'The request, completed with the hours and a note; waiting for the resident’s rating',
    request: { hours: '1.50', note: '已更换 LED 吸顶灯，顺带检查了燃气软管，无老化。' },
    response: completed,
    invalid: { hours: '1.505', note: '已更换 LED 吸顶灯' },
    errors: {
      403: onlyDispatchedMember,
      409: stepState('dispatched', 'complete', 'accepted'),
      422: {
        code: 'out_of_range',
        detail: 'one service request counts at most 24.00 hours',
        maxHours: '24.00',
      },
    },
  },
  cancelServiceRequest: {
    description: 'The request, cancelled',
    request: { reason: '居民已自行请物业维修' },
    response: {
      ...dispatched,
      status: 'cancelled',
      cancelledAt: '2026-11-20T09:12:44.530+08:00',
      cancelReason: '居民已自行请物业维修',
      updatedAt: '2026-11-20T09:12:44.530+08:00',
    },
    errors: { 409: stepState('completed', 'cancel', 'open or published or dispatched or accepted') },
  },
  confirmServiceRequest: {
    description:
      "The request, confirmed with the resident's rating: its hours are verified service hours now",
    request: { rating: 5, feedback: '小张很细心，谢谢社区！' },
    response: { ...confirmed, declines: [] },
    invalid: { rating: 6 },
    errors: {
      403: { code: 'recused', detail: 'you did this work, so someone else must confirm it' },
      409: stepState('accepted', 'confirm', 'completed'),
    },
  },
}
