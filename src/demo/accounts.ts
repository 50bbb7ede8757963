import { sql } from 'drizzle-orm'
import { type Db, one, rows, transaction } from '../db/client'
import type { Role } from '../db/schema/identity'
import type { OrgKind } from '../db/schema/org'
import { recordAudit } from '../modules/audit'
import { ensureRoot, hashPassword } from '../modules/identity'

export interface DemoLogin {
  role: string
  username: string
  password: string
}

// Twenty members, ten per community branch; a few serve in county offices (在职党员) and one of them
// also registered with the other community (双报到).
const MEMBERS_A = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨帆', '赵磊', '黄丽', '周杰', '吴敏']
const MEMBERS_B = ['徐强', '孙燕', '马超', '朱婷', '胡军', '郭蕾', '何平', '高翔', '林霞', '罗斌']
const WORK_UNITS: Record<string, string> = { 杨帆: '县人民医院', 赵磊: '县教育局', 马超: '城关镇人民政府' }

// Demo passwords are printed at start and only exist in the embedded (local) database.
const USERS: { role: Role; username: string; password: string; unit: 'root' | 'branchA' | 'communityA' }[] = [
  { role: 'admin', username: 'demo-admin', password: 'demo-admin-pass', unit: 'root' },
  { role: 'secretary', username: 'demo-secretary', password: 'demo-secretary-pass', unit: 'branchA' },
  { role: 'panelist', username: 'demo-panelist', password: 'demo-panelist-pass', unit: 'branchA' },
  { role: 'grid_worker', username: 'demo-grid', password: 'demo-grid-pass', unit: 'branchA' },
  { role: 'clerk', username: 'demo-clerk', password: 'demo-clerk-pass', unit: 'communityA' },
  { role: 'member', username: 'demo-member', password: 'demo-member-pass', unit: 'branchA' },
]

async function unit(
  tx: Db,
  parentId: string,
  kind: OrgKind,
  name: string,
  settings: { threshold?: number; publicityDays?: number } = {},
): Promise<string> {
  // Path and depth are filled in by the org_units trigger from the parent.
  const row = await one<{ id: string }>(
    tx,
    sql`insert into org_units (parent_id, kind, name, path, depth, redemption_threshold, publicity_days)
        values (${parentId}, ${kind}, ${name}, '', 0, ${settings.threshold ?? null}, ${settings.publicityDays ?? null})
        returning id`,
  )
  return row!.id
}

async function member(tx: Db, orgUnitId: string, name: string, i: number): Promise<string> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into members (org_unit_id, name, phone, is_party_member, work_unit)
        values (${orgUnitId}, ${name}, ${`1380000${String(1000 + i)}`}, ${i % 7 !== 6}, ${WORK_UNITS[name] ?? null})
        returning id`,
  )
  return row!.id
}

/**
 * Loads the demo organisation into an empty embedded database: a county with a town, two communities,
 * their branches and grids, twenty members, a volunteer team per community and one login per role.
 * Returns the logins to print, or null when the database already holds an organisation or members.
 */
export async function loadDemoIfEmpty(db: Db): Promise<DemoLogin[] | null> {
  const rootId = await ensureRoot(db)
  const hashes = await Promise.all(USERS.map((u) => hashPassword(u.password)))
  return transaction(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727004)`)
    const used = await one(
      tx,
      sql`select 1 from members union all select 1 from org_units where kind <> 'root'
          union all select 1 from users where username like 'demo-%' limit 1`,
    )
    if (used) return null

    const county = await unit(tx, rootId, 'district', '示范县', { threshold: 1000, publicityDays: 5 })
    const town = await unit(tx, county, 'street', '城关镇')
    const communityA = await unit(tx, town, 'community', '幸福社区')
    const communityB = await unit(tx, town, 'community', '和谐社区')
    const branchA = await unit(tx, communityA, 'branch', '幸福社区党支部')
    const branchB = await unit(tx, communityB, 'branch', '和谐社区党支部')
    const grids = [
      await unit(tx, branchA, 'grid', '幸福社区第一网格'),
      await unit(tx, branchA, 'grid', '幸福社区第二网格'),
      await unit(tx, branchB, 'grid', '和谐社区第一网格'),
      await unit(tx, branchB, 'grid', '和谐社区第二网格'),
    ]

    const membersA: string[] = []
    for (const [i, name] of MEMBERS_A.entries()) membersA.push(await member(tx, branchA, name, i))
    const membersB: string[] = []
    for (const [i, name] of MEMBERS_B.entries()) membersB.push(await member(tx, branchB, name, i + 10))
    // 赵磊 works at the education bureau and serves 和谐社区 where he lives (双报到).
    await tx.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${membersA[6]}, ${communityB}, 'accepted', now())`,
    )

    for (const [communityId, name, ids] of [
      [communityA, '幸福社区红色先锋志愿服务队', membersA.slice(0, 5)],
      [communityB, '和谐社区邻里守望志愿服务队', membersB.slice(0, 5)],
    ] as const) {
      const team = await one<{ id: string }>(
        tx,
        sql`insert into teams (org_unit_id, name) values (${communityId}, ${name}) returning id`,
      )
      for (const id of ids) {
        await tx.execute(sql`insert into team_members (team_id, member_id) values (${team!.id}, ${id})`)
      }
    }

    const unitOf = { root: rootId, branchA, communityA }
    // demo-member is 张伟; the branch secretary is 王芳, a member of her own branch, so what she signs (a
    // certificate's 经办人) carries her name. The other staff logins are office accounts without a member record.
    const memberOf: Partial<Record<Role, string>> = { member: membersA[0], secretary: membersA[1] }
    for (const [i, u] of USERS.entries()) {
      const memberId = memberOf[u.role] ?? null
      const user = await one<{ id: string }>(
        tx,
        sql`insert into users (username, password_hash, member_id) values (${u.username}, ${hashes[i]}, ${memberId})
            returning id`,
      )
      await tx.execute(
        sql`insert into role_grants (user_id, role, org_unit_id) values (${user!.id}, ${u.role}, ${unitOf[u.unit]})`,
      )
    }

    await recordAudit(tx, null, {
      action: 'org_unit.demo_load',
      targetType: 'org_unit',
      targetId: county,
      orgUnitId: county,
      after: {
        units: 6 + grids.length,
        members: MEMBERS_A.length + MEMBERS_B.length,
        users: USERS.map((u) => u.username),
      },
    })
    return USERS.map(({ role, username, password }) => ({ role, username, password }))
  })
}

/**
 * The demo logins this database holds (the embedded demo, loaded on an earlier start or now), so every start of
 * the demo database can print how to sign in; empty on any other database. The passwords are the demo's own:
 * whoever changed one since knows the new one.
 */
export async function demoLogins(db: Db): Promise<DemoLogin[]> {
  const found = await rows<{ username: string }>(
    db,
    sql`select username from users where username in (${sql.join(
      USERS.map((u) => sql`${u.username}`),
      sql`, `,
    )})`,
  )
  const present = new Set(found.map((r) => r.username))
  return USERS.filter((u) => present.has(u.username)).map(({ role, username, password }) => ({
    role,
    username,
    password,
  }))
}
