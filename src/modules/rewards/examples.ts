import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the rewards and redemption operations for /docs (see src/plugins/openapi-examples.ts).
// 石塔社区's office keeps laundry liquid at 12.50 points; 张建国 reserves one.

const reward = {
  id: EX.reward,
  orgUnitId: EX.unit.community,
  name: '洗衣液 2kg',
  description: '积分兑换点：石塔社区党群服务中心一楼，工作日 9:00-17:00',
  pointsCost: '12.50',
  perMemberLimit: 2,
  active: true,
  stockOnHand: 24,
  reserved: 1,
  available: 23,
  createdAt: '2026-03-01T09:30:18.552+08:00',
  updatedAt: '2026-12-12T09:41:07.316+08:00',
}
const received = {
  id: EX.stock.received,
  rewardId: EX.reward,
  kind: 'received',
  quantity: 20,
  redemptionId: null,
  note: '街道党工委 12 月配送',
  actorUserId: EX.user.clerk,
  createdAt: '2026-12-01T14:05:22.093+08:00',
}
const writtenOff = {
  ...received,
  id: EX.stock.writtenOff,
  kind: 'written_off',
  quantity: 1,
  note: '瓶身破损漏液',
  createdAt: '2026-12-12T16:30:00.418+08:00',
}
const reservedMove = {
  ...received,
  id: EX.stock.reserved,
  kind: 'reserved',
  quantity: 1,
  redemptionId: EX.redemption,
  note: null,
  actorUserId: EX.user.zhang,
  createdAt: '2026-12-12T09:41:07.316+08:00',
}

const redemption = {
  id: EX.redemption,
  memberId: EX.member.zhang,
  rewardId: EX.reward,
  rewardName: '洗衣液 2kg',
  orgUnitId: EX.unit.community,
  quantity: 1,
  pointsCost: '12.50',
  amount: '12.50',
  status: 'reserved',
  createdAt: '2026-12-12T09:41:07.316+08:00',
  expiresAt: '2026-12-19T09:41:07.316+08:00',
  fulfilledAt: null,
  cancelledAt: null,
  cancelReason: null,
  expiredAt: null,
}

const keyReused = {
  code: 'idempotency_key_reused' as const,
  detail: 'this Idempotency-Key was already used with a different request; use a new key for a new request',
}
const cannotEnd = (status: string, ending: string) => ({
  code: 'invalid_state' as const,
  detail: `this redemption is ${status}; it can no longer be ${ending}`,
})

export const rewardsExamples: OperationExamples = {
  findMembersAtCounter: {
    description:
      'The members of the community (or registered with it) that match, exact keys first: at most 20, phones masked',
    response: {
      items: [
        {
          id: EX.member.zhang,
          name: EX.memberName.zhang,
          maskedPhone: '138****5678',
          homeUnitName: EX.unitName.branch,
          availablePoints: '26.75',
        },
        {
          id: EX.member.zhao,
          name: '张丽',
          maskedPhone: null,
          homeUnitName: EX.unitName.otherBranch,
          availablePoints: '0.00',
        },
      ],
      more: false,
    },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  createReward: {
    description: 'The reward, in the office’s catalogue (no stock yet: receive some with receiveStock)',
    request: {
      orgUnitId: EX.unit.community,
      name: '洗衣液 2kg',
      description: reward.description,
      pointsCost: '12.50',
      perMemberLimit: 2,
    },
    response: { ...reward, stockOnHand: 0, reserved: 0, available: 0, updatedAt: reward.createdAt },
    invalid: { orgUnitId: EX.unit.community, name: '洗衣液 2kg', pointsCost: '12.505' },
    errors: { 404: { code: 'not_found', detail: 'org unit not found' } },
  },
  listRewards: {
    description: 'A page of rewards with their stock',
    response: {
      items: [
        reward,
        {
          ...reward,
          id: EX.otherReward,
          name: '不锈钢保温杯',
          description: null,
          pointsCost: '30.00',
          perMemberLimit: null,
          stockOnHand: 6,
          reserved: 0,
          available: 6,
        },
      ],
      nextCursor: null,
    },
  },
  getReward: {
    description: 'The reward with its stock',
    response: reward,
  },
  updateReward: {
    description: 'The reward as it is now',
    request: { pointsCost: '12.50', perMemberLimit: 2 },
    response: reward,
    invalid: { pointsCost: '12.5.0' },
  },
  receiveStock: {
    description: 'The stock movement and the reward after it',
    request: { quantity: 20, note: '街道党工委 12 月配送' },
    response: { movement: received, reward: { ...reward, stockOnHand: 25, reserved: 0, available: 25 } },
    invalid: { quantity: 0, note: '街道党工委 12 月配送' },
    errors: { 409: keyReused },
  },
  listStockMovements: {
    description: 'A page of stock movements, newest first',
    response: { items: [writtenOff, reservedMove, received], nextCursor: null },
  },
  writeOffStock: {
    description: 'The stock movement and the reward after it',
    request: { quantity: 1, reason: '瓶身破损漏液' },
    response: { movement: writtenOff, reward: { ...reward, stockOnHand: 23, available: 22 } },
    errors: {
      409: keyReused,
      422: { code: 'out_of_stock', detail: 'only 22 available, 30 asked for', available: 22 },
    },
  },
  createRedemption: {
    description:
      'The redemption, reserved: the points are held and the unit set aside until it is handed over',
    request: { memberId: EX.member.zhang, rewardId: EX.reward, quantity: 1 },
    response: redemption,
    invalid: { memberId: EX.member.zhang, rewardId: EX.reward, quantity: 1.5 },
    errors: {
      404: { code: 'not_found', detail: 'reward not found' },
      409: [{ code: 'invalid_state', detail: 'this reward is not active; it cannot be redeemed' }, keyReused],
      422: [
        {
          code: 'below_threshold',
          detail: 'lifetime earned points 6.00 are below the redemption threshold 10.00',
          lifetimeEarned: '6.00',
          threshold: '10.00',
        },
        {
          code: 'limit_reached',
          detail: 'this member may take 2 of this reward per calendar year and already has 2',
          limit: 2,
          taken: 2,
        },
        { code: 'out_of_stock', detail: 'only 0 available, 1 asked for', available: 0 },
        { code: 'insufficient_points', detail: 'the available points do not cover this redemption' },
      ],
    },
  },
  listRedemptions: {
    description: 'A page of redemptions, newest first',
    response: { items: [redemption], nextCursor: null },
  },
  getRedemption: {
    description: 'The redemption',
    response: redemption,
  },
  fulfilRedemption: {
    description: 'The redemption, fulfilled: the held points are paid and the unit handed out',
    response: {
      ...redemption,
      status: 'fulfilled',
      expiresAt: null,
      fulfilledAt: '2026-12-13T10:02:45.667+08:00',
    },
    errors: { 409: cannotEnd('cancelled', 'fulfilled') },
  },
  cancelRedemption: {
    description: 'The redemption, cancelled: the points are free again and the unit back in stock',
    request: { reason: '会员改换保温杯' },
    response: {
      ...redemption,
      status: 'cancelled',
      expiresAt: null,
      cancelledAt: '2026-12-12T15:20:11.904+08:00',
      cancelReason: '会员改换保温杯',
    },
    errors: { 409: cannotEnd('fulfilled', 'cancelled') },
  },
}
