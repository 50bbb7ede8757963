import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the members operations for /docs (see src/plugins/openapi-examples.ts).

const zhang = {
  id: EX.member.zhang,
  orgUnitId: EX.unit.branch,
  name: EX.memberName.zhang,
  phone: '13812345678',
  isPartyMember: true,
  workUnit: null,
  status: 'active',
  identityDocument: { type: 'resident_id', maskedNumber: '1101**********002X' },
  registrations: [],
  createdAt: '2026-03-02T09:12:05.771+08:00',
  updatedAt: '2026-12-05T14:46:15.123+08:00',
}
/** 赵丽华 of 青山社区's branch works at the district hospital and serves in 石塔社区, where she lives (双报到). */
const zhao = {
  id: EX.member.zhao,
  orgUnitId: EX.unit.otherBranch,
  name: EX.memberName.zhao,
  phone: '13987654321',
  isPartyMember: true,
  workUnit: '城关区人民医院',
  status: 'active',
  identityDocument: null,
  registrations: [
    {
      id: EX.registration,
      orgUnitId: EX.unit.community,
      status: 'accepted',
      createdAt: '2026-04-10T19:32:08.512+08:00',
    },
  ],
  createdAt: '2026-02-14T10:20:33.904+08:00',
  updatedAt: '2026-04-10T19:32:08.512+08:00',
}

const registration = {
  id: EX.registration,
  memberId: EX.member.zhao,
  memberName: EX.memberName.zhao,
  homeUnitId: EX.unit.otherBranch,
  homeUnitName: EX.unitName.otherBranch,
  orgUnitId: EX.unit.community,
  status: 'pending',
  createdAt: '2026-04-10T19:32:08.512+08:00',
  decidedAt: null,
  declineReason: null,
  endedAt: null,
  endReason: null,
}
const accepted = { ...registration, status: 'accepted', decidedAt: '2026-04-11T08:45:19.036+08:00' }

const team = {
  id: EX.team,
  orgUnitId: EX.unit.community,
  name: '石塔社区红色志愿服务队',
  description: '楼道清理、助老陪诊、政策宣讲，每月第一个周六集中服务',
  memberCount: 18,
  createdAt: '2026-02-20T15:03:27.618+08:00',
}

const registrationState = (from: string, to: string) => ({
  code: 'invalid_state' as const,
  detail: `the registration is ${from}; it cannot become ${to}`,
})

export const membersExamples: OperationExamples = {
  createMember: {
    description: 'The member, created in the unit',
    request: {
      orgUnitId: EX.unit.branch,
      name: EX.memberName.zhang,
      phone: '13812345678',
      isPartyMember: true,
      identityDocument: { type: 'resident_id', number: '11010519491231002X' },
    },
    response: zhang,
    invalid: {
      orgUnitId: EX.unit.branch,
      name: EX.memberName.zhang,
      phone: '138-1234-5678 转 2',
      isPartyMember: true,
    },
    errors: {
      400: {
        code: 'validation_failed',
        detail:
          'identityDocument.number: the check digit of this 居民身份证 number does not match (a typing error?)',
        errors: [
          {
            field: 'identityDocument.number',
            message: 'the check digit of this 居民身份证 number does not match (a typing error?)',
          },
        ],
      },
      404: { code: 'not_found', detail: 'org unit not found' },
    },
  },
  listMembers: {
    description: 'A page of members, by name',
    response: { items: [zhang, zhao], nextCursor: null },
  },
  importMembers: {
    description: 'How many members the file created (all its rows: an import is all or nothing)',
    request:
      'name,isPartyMember,phone,workUnit\r\n张建国,是,13812345678,\r\n李秀英,是,13912345678,\r\n赵丽华,true,13987654321,城关区人民医院\r\n',
    response: { created: 3 },
    errors: {
      400: {
        code: 'validation_failed',
        detail:
          'the file has 2 error(s); nothing was imported. First: line 3: isPartyMember must be true or false (also 1/0, yes/no, 是/否)',
        errors: [
          { line: 3, message: 'isPartyMember must be true or false (also 1/0, yes/no, 是/否)' },
          { line: 5, message: 'name is required' },
        ],
      },
      404: { code: 'not_found', detail: 'org unit not found' },
      415: { code: 'unsupported_media_type', detail: 'send the file as Content-Type: text/csv' },
    },
  },
  getMember: {
    description: 'The member, with their live 双报到 registrations',
    response: zhao,
  },
  updateMember: {
    description: 'The member as it is now',
    request: { phone: '13812345679', workUnit: '石塔街道退休职工' },
    response: { ...zhang, phone: '13812345679', workUnit: '石塔街道退休职工' },
    invalid: { phone: '13812345679', address: '石塔社区 3 栋 2 单元' },
    errors: {
      403: [
        { code: 'forbidden', detail: 'only a secretary over the member’s home unit changes this member' },
        {
          code: 'forbidden',
          detail: 'you may change only your phone, work unit and identity document, not name, orgUnitId',
        },
      ],
    },
  },
  registerMember: {
    description: 'The registration, pending until the community’s secretary accepts or declines it',
    request: { orgUnitId: EX.unit.community },
    response: registration,
    errors: {
      400: {
        code: 'validation_failed',
        detail: 'orgUnitId: must be a residential community (kind community)',
        errors: [{ field: 'orgUnitId', message: 'must be a residential community (kind community)' }],
      },
      409: {
        code: 'conflict',
        detail: 'the member already has a pending or accepted registration there',
      },
    },
  },
  listRegistrations: {
    description: 'A page of registrations, newest first',
    response: { items: [accepted], nextCursor: null },
  },
  acceptRegistration: {
    description: 'The registration, accepted: the member is now in the community’s scope',
    response: accepted,
    errors: {
      403: {
        code: 'forbidden',
        detail: 'only a secretary over the community accepts or declines a registration',
      },
      409: registrationState('declined', 'accepted'),
    },
  },
  declineRegistration: {
    description: 'The registration, declined (the member may ask again)',
    request: { reason: '本社区双报到名额已满，请联系青山社区' },
    response: {
      ...registration,
      status: 'declined',
      decidedAt: '2026-04-11T08:45:19.036+08:00',
      declineReason: '本社区双报到名额已满，请联系青山社区',
    },
    errors: {
      403: {
        code: 'forbidden',
        detail: 'only a secretary over the community accepts or declines a registration',
      },
      409: registrationState('accepted', 'declined'),
    },
  },
  endRegistration: {
    description: 'The registration, ended; it stays in the history',
    request: { reason: '已搬离石塔社区' },
    response: {
      ...accepted,
      status: 'ended',
      endedAt: '2026-12-05T14:46:15.123+08:00',
      endReason: '已搬离石塔社区',
    },
    errors: { 409: registrationState('declined', 'ended') },
  },
  createTeam: {
    description: 'The team, created (no members yet)',
    request: {
      orgUnitId: EX.unit.community,
      name: '石塔社区红色志愿服务队',
      description: '楼道清理、助老陪诊、政策宣讲，每月第一个周六集中服务',
    },
    response: { ...team, memberCount: 0 },
  },
  listTeams: {
    description: 'A page of teams, by name',
    response: { items: [team], nextCursor: null },
  },
  addTeamMember: {
    description: 'The member, added to the team',
    request: { memberId: EX.member.zhang },
    response: { teamId: EX.team, memberId: EX.member.zhang, createdAt: '2026-12-05T14:46:15.123+08:00' },
    errors: {
      404: { code: 'not_found', detail: 'team not found' },
      409: { code: 'conflict', detail: 'the member is already in the team' },
    },
  },
}
