import { sql } from 'drizzle-orm'
import { type Db, rows } from '../db/client'
import { createAdjustment } from '../modules/ledger'
import { createReward, receiveStock } from '../modules/rewards'
import { activateRubric, createRubric } from '../modules/rubrics'
import type { Caller } from '../shared/authz'
import { localYear } from '../shared/time'

/** The demo user as the services see it (the same shape the auth plugin builds from a token). */
async function demoCaller(db: Db, username: string): Promise<Caller> {
  const found = await rows<{
    id: string
    memberId: string | null
    grantId: string
    role: Caller['grants'][number]['role']
    orgUnitId: string
    path: string
  }>(
    db,
    sql`select u.id, u.member_id as "memberId", g.id as "grantId", g.role, g.org_unit_id as "orgUnitId", o.path
        from users u join role_grants g on g.user_id = u.id join org_units o on o.id = g.org_unit_id
        where u.username = ${username}`,
  )
  const first = found[0]
  if (!first) throw new Error(`demo user ${username} is missing`)
  return {
    userId: first.id,
    username,
    memberId: first.memberId,
    grants: found.map((r) => ({ id: r.grantId, role: r.role, orgUnitId: r.orgUnitId, path: r.path })),
  }
}

/**
 * Something to do on a first embedded start: an active rubric for this year at the demo branch, a stocked
 * catalogue at its community office, and opening points for the demo member, all made through the same
 * service functions the API calls (so audited, idempotent and checked like any other change).
 */
export async function loadDemoContent(db: Db, timezone: string): Promise<void> {
  const secretary = await demoCaller(db, 'demo-secretary')
  const clerk = await demoCaller(db, 'demo-clerk')
  const member = await demoCaller(db, 'demo-member')
  const branchId = secretary.grants[0]!.orgUnitId
  const communityId = clerk.grants[0]!.orgUnitId
  const year = localYear(new Date(), timezone)

  const rubric = await createRubric(
    db,
    secretary,
    { orgUnitId: branchId, year, name: `${year}年党员积分细则`, fromTemplate: 'default' },
    timezone,
  )
  await activateRubric(db, secretary, (rubric as { id: string }).id, timezone)

  const ctx = { timezone, holdDays: 7 }
  for (const [name, cost, stock] of [
    ['保温杯', '20.00', 30],
    ['毛巾', '10.00', 50],
    ['防疫包', '15.00', 20],
  ] as const) {
    const reward = await createReward(db, clerk, { orgUnitId: communityId, name, pointsCost: cost }, ctx)
    await receiveStock(db, clerk, `demo-stock-${name}`, reward.id, { quantity: stock, note: '首批入库' }, ctx)
  }

  await createAdjustment(db, secretary, 'demo-opening-points', {
    memberId: member.memberId!,
    amount: '30.00',
    reason: '演示数据：期初积分',
  })
}
