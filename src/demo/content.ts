import { sql } from 'drizzle-orm'
import { type Db, one, rows } from '../db/client'
import {
  acceptServiceRequest,
  cancelServiceRequest,
  completeServiceRequest,
  confirmServiceRequest,
  createActivity,
  createServiceRequest,
  declineServiceRequest,
  dispatchServiceRequest,
  issueServiceCertificate,
  recordParticipation,
  verifyActivity,
} from '../modules/activities'
import { createAdjustment } from '../modules/ledger'
import { createRedemption, createReward, fulfilRedemption, receiveStock } from '../modules/rewards'
import { activateRubric, createRubric } from '../modules/rubrics'
import {
  closeScoring,
  createScoringRound,
  evidenceHooks,
  fileObjection,
  finalizeRound,
  submitScore,
} from '../modules/scoring'
import type { Caller } from '../shared/authz'
import { addDays, endOfDayAfter, localDate, startOfLocalDate } from '../shared/time'

/** The demo user as the services see it (the same shape the auth plugin builds from a token). */
async function demoCaller(db: Db, username: string): Promise<Caller> {
  const found = await rows<{
    id: string
    memberId: string | null
    residentId: string | null
    grantId: string
    role: Caller['grants'][number]['role']
    orgUnitId: string
    path: string
  }>(
    db,
    sql`select u.id, u.member_id as "memberId", u.resident_id as "residentId", g.id as "grantId", g.role, g.org_unit_id as "orgUnitId", o.path
        from users u join role_grants g on g.user_id = u.id join org_units o on o.id = g.org_unit_id
        where u.username = ${username}`,
  )
  const first = found[0]
  if (!first) throw new Error(`demo user ${username} is missing`)
  return {
    userId: first.id,
    username,
    memberId: first.memberId,
    residentId: first.residentId,
    grants: found.map((r) => ({ id: r.grantId, role: r.role, orgUnitId: r.orgUnitId, path: r.path })),
  }
}

/** What the demo holds, for the start-up line and the tests. */
export interface DemoSummary {
  /** The round whose 公示 ended yesterday: finalize it (README, "Call it"). */
  readyRoundId: string
  /** The round on public notice with an open objection. */
  publicityRoundId: string
  /** The finalized round. */
  finalizedRoundId: string
  certificateCode: string
}

interface Work {
  /** Days before today; each block's dates are kept inside the year of its latest one (a round scores one year). */
  daysAgo: number
  title: string
  item: string | null
  hours: number
  location: string
  /** Members (by name) and their hours. */
  people: [string, string][]
  team?: boolean
}

// A year of one community's volunteering, oldest first, in four blocks: work scored in a round that is finalized,
// work scored in a round whose 公示 ended yesterday, work on public notice now (with an objection), and recent work
// whose claims wait for the next round. The same members, items and scores every time: only the dates follow today.
const FINALIZED: Work[] = [
  {
    daysAgo: 290,
    title: '人居环境整治：背街小巷清扫',
    item: 'ENVIRON',
    hours: 3,
    location: '幸福社区幸福路背街小巷',
    people: [
      ['张伟', '3.00'],
      ['王芳', '3.00'],
      ['李娜', '3.00'],
      ['刘洋', '2.50'],
    ],
    team: true,
  },
  {
    daysAgo: 260,
    title: '文明县城创建：路口文明交通劝导',
    item: 'CIVILITY',
    hours: 2,
    location: '城关镇人民路与建设路口',
    people: [
      ['张伟', '2.00'],
      ['陈静', '2.00'],
      ['黄丽', '2.00'],
    ],
    team: true,
  },
  {
    daysAgo: 230,
    title: '政策宣讲进小区：养老保险新政',
    item: 'PUBLICITY',
    hours: 1.5,
    location: '幸福社区党群服务中心',
    people: [
      ['张伟', '1.50'],
      ['周杰', '1.50'],
    ],
  },
]
const READY: Work[] = [
  {
    daysAgo: 75,
    title: '社区巡防：夜间平安巡逻',
    item: 'PATROL',
    hours: 3,
    location: '幸福社区各楼栋',
    people: [
      ['张伟', '3.00'],
      ['杨帆', '3.00'],
      ['赵磊', '2.00'],
    ],
  },
  {
    daysAgo: 50,
    title: '爱心帮扶：走访慰问独居老人',
    item: 'CARE',
    hours: 2,
    location: '幸福社区第一网格',
    people: [
      ['张伟', '2.00'],
      ['吴敏', '2.00'],
    ],
    team: true,
  },
]
const ON_NOTICE: Work[] = [
  {
    daysAgo: 30,
    title: '文明县城创建：小区环境清洁日',
    item: 'CIVILITY',
    hours: 3,
    location: '幸福社区幸福苑小区',
    people: [
      ['张伟', '2.00'],
      ['李娜', '2.00'],
      ['刘洋', '2.00'],
    ],
    team: true,
  },
  {
    daysAgo: 20,
    title: '社区居民恳谈日',
    item: 'DIALOGUE',
    hours: 2,
    location: '幸福社区党群服务中心',
    people: [
      ['陈静', '1.50'],
      ['黄丽', '1.50'],
    ],
  },
]
const RECENT: Work[] = [
  {
    daysAgo: 6,
    title: '人居环境整治：垃圾分类宣传',
    item: 'ENVIRON',
    hours: 2,
    location: '幸福社区幸福苑小区',
    people: [
      ['张伟', '2.00'],
      ['周杰', '2.00'],
    ],
  },
]

/** Dates of a block: today minus each daysAgo, moved up to 1 January of the block's last year when earlier. */
function blockDates(today: string, block: Work[]): string[] {
  const dates = block.map((w) => addDays(today, -w.daysAgo))
  const firstDay = `${dates[dates.length - 1]!.slice(0, 4)}-01-01`
  return dates.map((d) => (d < firstDay ? firstDay : d))
}

/** A panel's points for a claim: the panelist gives the ceiling, the secretary half a point less on 3.00 and up. */
function points(ceiling: string, who: 'panelist' | 'secretary'): string {
  const cents = Math.round(Number(ceiling) * 100)
  const given = who === 'secretary' && cents >= 300 ? cents - 50 : cents
  return (given / 100).toFixed(2)
}

/**
 * The first embedded start's demo: a year of one community (幸福社区) that a newcomer can walk through at once.
 * Active rubrics for last year and this year, a stocked catalogue, opening points; verified activities over the
 * past ten months (their claims made by verification); a finalized round with its postings, a round whose 公示
 * ended yesterday (ready to finalize), a round on public notice with an open objection, and claims waiting for the
 * next round; service requests in every state; redemptions fulfilled and reserved; a certificate.
 *
 * Everything goes through the same service functions the API calls (so audited, idempotent and checked like any
 * other change, the ledger posted by its own functions so its hash chains verify). The one thing no command can do
 * is let time pass: closing a round opens 公示 from now, so two rounds have their closing moved back by the
 * commented UPDATEs below, which every trigger on the table allows.
 */
export async function loadDemoContent(
  db: Db,
  timezone: string,
  opts: { holdDays?: number } = {},
): Promise<DemoSummary> {
  const secretary = await demoCaller(db, 'demo-secretary')
  const panelist = await demoCaller(db, 'demo-panelist')
  const grid = await demoCaller(db, 'demo-grid')
  const clerk = await demoCaller(db, 'demo-clerk')
  const member = await demoCaller(db, 'demo-member')
  const branchId = secretary.grants[0]!.orgUnitId
  const communityId = clerk.grants[0]!.orgUnitId
  const today = localDate(new Date(), timezone)
  const year = Number(today.slice(0, 4))
  const at = (date: string, hour: number) =>
    new Date(startOfLocalDate(date, timezone).getTime() + hour * 3_600_000)
  const ids = await memberIds(db, branchId)
  const team = await one<{ id: string }>(
    db,
    sql`select id from teams where org_unit_id = ${communityId} order by created_at limit 1`,
  )

  // Rubrics: last year's (the history before January is scored under it) and this year's, both active.
  const rubricOf = new Map<number, string>()
  for (const y of [year - 1, year]) {
    const rubric = await createRubric(
      db,
      secretary,
      { orgUnitId: branchId, year: y, name: `${y}年党员积分细则`, fromTemplate: 'default' },
      timezone,
    )
    await activateRubric(db, secretary, rubric.id, timezone)
    rubricOf.set(y, rubric.id)
  }

  // The community office's catalogue.
  const ctx = { timezone, holdDays: opts.holdDays ?? 7 }
  const reward: Record<string, string> = {}
  for (const [name, cost, stock] of [
    ['保温杯', '20.00', 30],
    ['毛巾', '10.00', 50],
    ['防疫包', '15.00', 20],
  ] as const) {
    const created = await createReward(db, clerk, { orgUnitId: communityId, name, pointsCost: cost }, ctx)
    await receiveStock(
      db,
      clerk,
      `demo-stock-${name}`,
      created.id,
      { quantity: stock, note: '首批入库' },
      ctx,
    )
    reward[name] = created.id
  }

  // Points brought forward from before the service (a secretary's adjustment, as the API makes it).
  for (const [name, amount] of [
    ['张伟', '30.00'],
    ['李娜', '20.00'],
    ['陈静', '25.00'],
    ['刘洋', '10.00'],
  ] as const) {
    await createAdjustment(db, secretary, `demo-opening-${name}`, {
      memberId: ids[name]!,
      amount,
      reason: '演示数据：期初积分（上年结转）',
    })
  }

  // Activities: recorded by the grid worker, verified by them once over (verification drafts the claims).
  const doWork = async (block: Work[]) => {
    const dates = blockDates(today, block)
    for (const [i, w] of block.entries()) {
      const startsAt = at(dates[i]!, 9)
      const activity = await createActivity(db, grid, {
        orgUnitId: branchId,
        ...(w.team && team ? { teamId: team.id } : {}),
        title: w.title,
        ...(w.item ? { rubricItemCode: w.item } : {}),
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + w.hours * 3_600_000).toISOString(),
        location: w.location,
      })
      for (const [name, hours] of w.people) {
        await recordParticipation(db, grid, activity.id, ids[name]!, { hours })
      }
      await verifyActivity(db, grid, activity.id, evidenceHooks)
    }
    return dates
  }

  // A round over a block: the secretary and the panelist score every claim (the secretary recuses herself from
  // her own), then the secretary closes it; 公示 starts now.
  const scoreRound = async (block: Work[], dates: string[]) => {
    const round = await createScoringRound(
      db,
      secretary,
      {
        orgUnitId: branchId,
        rubricId: rubricOf.get(Number(dates[dates.length - 1]!.slice(0, 4)))!,
        periodStart: dates[0]!,
        periodEnd: dates[dates.length - 1]!,
        panelUserIds: [secretary.userId, panelist.userId],
      },
      timezone,
    )
    if (round.claims.length !== block.reduce((n, w) => n + w.people.length, 0)) {
      throw new Error(`demo round took in ${round.claims.length} claims`)
    }
    for (const claim of round.claims) {
      for (const [who, caller] of [
        ['panelist', panelist],
        ['secretary', secretary],
      ] as const) {
        if (caller.memberId === claim.memberId) continue
        await submitScore(
          db,
          caller,
          round.id,
          claim.claimId,
          { time: 4, content: 5, quality: 4, points: points(claim.ceiling, who) },
          timezone,
        )
      }
    }
    await closeScoring(db, secretary, round.id, timezone)
    return round.id
  }

  /*
   * Demo history only: a round closed `closedAt` instead of now. 公示 then ends at the end of the day the round's
   * publicity days (5, from 示范县) after it, exactly as closeScoring computes it. Status is not written, so the
   * 公示 floor trigger (BEFORE UPDATE OF status) has nothing to check and publicity -> publicity is no move for the
   * state-machine trigger; the CHECKs (closed_at and publicity_ends_at set in publicity) hold.
   */
  const closedOn = async (roundId: string, closedAt: Date) => {
    await db.execute(
      sql`update scoring_rounds
          set closed_at = ${closedAt.toISOString()},
              publicity_ends_at = ${endOfDayAfter(closedAt, 5, timezone).toISOString()},
              created_at = least(created_at, ${closedAt.toISOString()}::timestamptz - interval '3 days')
          where id = ${roundId} and status = 'publicity'`,
    )
  }

  // 1. Spring: scored, on notice long ago, finalized (its results posted to the ledger).
  const finalizedDates = await doWork(FINALIZED)
  const finalizedRoundId = await scoreRound(FINALIZED, finalizedDates)
  await closedOn(finalizedRoundId, at(addDays(finalizedDates[finalizedDates.length - 1]!, 10), 10))
  await finalizeRound(db, secretary, finalizedRoundId, 'demo-finalize-spring')

  // 2. Closed six days ago: 公示 ended at the end of yesterday, no objection; finalizing it is the README's step.
  const readyDates = await doWork(READY)
  const readyRoundId = await scoreRound(READY, readyDates)
  await closedOn(readyRoundId, at(addDays(today, -6), 10))

  // 3. Closed two days ago, on notice for three more days; demo-member objects to his own result.
  const noticeDates = await doWork(ON_NOTICE)
  const publicityRoundId = await scoreRound(ON_NOTICE, noticeDates)
  await closedOn(publicityRoundId, at(addDays(today, -2), 10))
  const own = await one<{ id: string }>(
    db,
    sql`select id from claims where round_id = ${publicityRoundId} and member_id = ${member.memberId} limit 1`,
  )
  const objection = await fileObjection(
    db,
    member,
    own!.id,
    '当天我从早上九点服务到中午十二点，实际服务3小时，签到表可查，请核实时长后重新评分。',
    timezone,
  )
  // Demo history only: filed yesterday (an open objection's time may move; a resolved one is frozen).
  await db.execute(
    sql`update objections set created_at = ${at(addDays(today, -1), 15).toISOString()}
        where id = ${objection.id} and status = 'open'`,
  )

  // 4. Last week's work: its claims wait for the next round. And one activity held yesterday, not yet verified.
  await doWork(RECENT)
  const yesterday = at(addDays(today, -1), 14)
  const open = await createActivity(db, grid, {
    orgUnitId: branchId,
    title: '重阳敬老：敬老院慰问演出',
    startsAt: yesterday.toISOString(),
    endsAt: new Date(yesterday.getTime() + 2 * 3_600_000).toISOString(),
    location: '城关镇敬老院',
  })
  await recordParticipation(db, grid, open.id, ids.黄丽!, { hours: '2.00' })
  await recordParticipation(db, grid, open.id, ids.吴敏!, { hours: '2.00' })

  // Service requests (群众点单), one in each state; the member steps are demo-member's.
  const request = (title: string, requesterName: string, description: string) =>
    createServiceRequest(db, grid, { orgUnitId: branchId, requesterName, title, description })
  const toZhang = { memberId: member.memberId! }
  const confirmed = await request(
    '帮独居老人更换楼道灯泡',
    '刘大爷',
    '幸福苑3号楼2单元楼道灯坏了，老人行动不便。',
  )
  await dispatchServiceRequest(db, grid, confirmed.id, toZhang)
  await acceptServiceRequest(db, member, confirmed.id)
  await completeServiceRequest(db, member, confirmed.id, {
    hours: '1.00',
    note: '已更换两只灯泡并检查线路。',
  })
  await confirmServiceRequest(
    db,
    grid,
    confirmed.id,
    { rating: 5, feedback: '很及时，谢谢！' },
    evidenceHooks,
  )
  const completed = await request(
    '陪同老人到县医院复诊',
    '王奶奶',
    '周四上午复诊，子女在外地，需要有人陪同。',
  )
  await dispatchServiceRequest(db, grid, completed.id, toZhang)
  await acceptServiceRequest(db, member, completed.id)
  await completeServiceRequest(db, member, completed.id, { hours: '3.00', note: '已陪同就诊并送回家。' })
  const accepted = await request('辅导小学生数学作业', '李女士', '孩子三年级，每周二、四晚上需要辅导一小时。')
  await dispatchServiceRequest(db, grid, accepted.id, toZhang)
  await acceptServiceRequest(db, member, accepted.id)
  const dispatched = await request('帮忙搬运旧家具', '赵先生', '周六上午把旧沙发搬到楼下回收点。')
  await dispatchServiceRequest(db, grid, dispatched.id, toZhang)
  const reopened = await request('清理楼道堆放杂物', '幸福苑业委会', '5号楼楼道堆放杂物，存在消防隐患。')
  await dispatchServiceRequest(db, grid, reopened.id, toZhang)
  await declineServiceRequest(db, member, reopened.id, { reason: '本周出差，无法前往。' })
  const cancelled = await request('代收快递', '孙女士', '出差一周，请帮忙代收快递。')
  await cancelServiceRequest(db, grid, cancelled.id, { reason: '居民已委托邻居代收。' })

  // Redemptions at the community office: two handed out, one reserved and waiting at the counter.
  const redeem = async (caller: Caller, key: string, name: string, rewardName: string, fulfil: boolean) => {
    const reserved = await createRedemption(
      db,
      caller,
      key,
      { memberId: ids[name]!, rewardId: reward[rewardName]!, quantity: 1 },
      ctx,
    )
    if (reserved.status !== 201) throw new Error(`demo redemption ${key}: ${JSON.stringify(reserved.body)}`)
    if (fulfil) await fulfilRedemption(db, clerk, (reserved.body as { id: string }).id, ctx)
  }
  await redeem(member, 'demo-redeem-towel', '张伟', '毛巾', true)
  await redeem(clerk, 'demo-redeem-kit', '李娜', '防疫包', true)
  await redeem(clerk, 'demo-redeem-cup', '陈静', '保温杯', false)

  // A 志愿服务记录证明 of demo-member's past year, signed by the secretary.
  const certificate = await issueServiceCertificate(
    db,
    secretary,
    member.memberId!,
    { from: addDays(today, -365), to: addDays(today, -1) },
    'demo-certificate',
  )

  return {
    readyRoundId,
    publicityRoundId,
    finalizedRoundId,
    certificateCode: certificate.body.verificationCode,
  }
}

async function memberIds(db: Db, branchId: string): Promise<Record<string, string>> {
  const found = await rows<{ id: string; name: string }>(
    db,
    sql`select id, name from members where org_unit_id = ${branchId}`,
  )
  return Object.fromEntries(found.map((m) => [m.name, m.id]))
}
