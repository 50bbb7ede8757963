import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { type Db, one } from '../../src/db/client'
import type { Role } from '../../src/db/schema/identity'
import type { OrgKind } from '../../src/db/schema/org'
import { ensureRoot } from '../../src/modules/identity/bootstrap'
import { hashPassword } from '../../src/modules/identity/passwords'

/** Factories write straight to the database: fast, and independent of the routes under test. */

export const TEST_PASSWORD = 'correct-horse-battery'
let passwordHash: Promise<string> | undefined

export const uniq = (prefix = 'x') => `${prefix}_${randomBytes(5).toString('hex')}`

export async function createUnit(
  db: Db,
  parentId: string,
  kind: OrgKind,
  name = uniq(kind),
  settings: { redemptionThreshold?: number; publicityDays?: number } = {},
): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into org_units (id, parent_id, kind, name, path, depth, redemption_threshold, publicity_days)
        select g.id, p.id, ${kind}, ${name}, p.path || g.id || '/', p.depth + 1,
               ${settings.redemptionThreshold ?? null}, ${settings.publicityDays ?? null}
        from org_units p, (select gen_random_uuid() as id) g where p.id = ${parentId}
        returning id`,
  )
  if (!row) throw new Error(`no parent unit ${parentId}`)
  return row.id
}

export async function createMember(
  db: Db,
  orgUnitId: string,
  fields: { name?: string; phone?: string; isPartyMember?: boolean } = {},
): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into members (org_unit_id, name, phone, is_party_member)
        values (${orgUnitId}, ${fields.name ?? uniq('member')}, ${fields.phone ?? null}, ${fields.isPartyMember ?? true})
        returning id`,
  )
  return row!.id
}

export async function createUser(
  db: Db,
  opts: {
    username?: string
    grants?: [Role, string][]
    memberId?: string
    password?: string
    /** The secretary who made the login (createUser does this); a login with no grant is theirs to manage. */
    createdBy?: string
  } = {},
): Promise<string> {
  passwordHash ??= hashPassword(TEST_PASSWORD)
  const hash = opts.password ? await hashPassword(opts.password) : await passwordHash
  const row = await one<{ id: string }>(
    db,
    sql`insert into users (username, password_hash, member_id, created_by)
        values (${opts.username ?? uniq('user')}, ${hash}, ${opts.memberId ?? null}, ${opts.createdBy ?? null})
        returning id`,
  )
  for (const [role, unitId] of opts.grants ?? []) {
    await db.execute(
      sql`insert into role_grants (user_id, role, org_unit_id) values (${row!.id}, ${role}, ${unitId})`,
    )
  }
  return row!.id
}

/** A member with a login: the user is linked to the member record and holds role member on its unit. */
export async function createMemberUser(
  db: Db,
  orgUnitId: string,
  fields: { name?: string } = {},
): Promise<{ memberId: string; userId: string }> {
  const memberId = await createMember(db, orgUnitId, fields)
  const userId = await createUser(db, { memberId, grants: [['member', orgUnitId]] })
  return { memberId, userId }
}

/**
 * A resident (群众, issue 18) of a community with a login: the user belongs to the resident record
 * (users.resident_id) and holds role resident on the community, as createResident makes them.
 */
export async function createResidentUser(
  db: Db,
  communityId: string,
  fields: { name?: string; phone?: string; username?: string } = {},
): Promise<{ residentId: string; userId: string }> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into residents (org_unit_id, name, phone) values (${communityId}, ${fields.name ?? uniq('resident')},
        ${fields.phone ?? null}) returning id`,
  )
  const userId = await createUser(db, { username: fields.username, grants: [['resident', communityId]] })
  await db.execute(sql`update users set resident_id = ${row!.id} where id = ${userId}`)
  return { residentId: row!.id, userId }
}

export interface World {
  root: string
  district: string
  street: string
  communityA: string
  branchA: string
  gridA: string
  communityB: string
  branchB: string
  admin: string
  secretaryA: string
  secretaryB: string
  panelistA: string
  gridWorkerA: string
  clerkA: string
  clerkB: string
  memberA: { memberId: string; userId: string }
  memberB: { memberId: string; userId: string }
}

/**
 * A small organisation with two sibling communities, a staff user per role on community A's side,
 * and one member in each branch. Each call makes a fresh tree, so tests in one file do not collide.
 */
export async function createWorld(db: Db): Promise<World> {
  const root = await ensureRoot(db)
  const district = await createUnit(db, root, 'district', uniq('东城区'))
  const street = await createUnit(db, district, 'street', uniq('和平街道'))
  const communityA = await createUnit(db, street, 'community', uniq('幸福社区'))
  const branchA = await createUnit(db, communityA, 'branch', uniq('幸福社区党支部'))
  const gridA = await createUnit(db, branchA, 'grid', uniq('网格'))
  const communityB = await createUnit(db, street, 'community', uniq('和谐社区'))
  const branchB = await createUnit(db, communityB, 'branch', uniq('和谐社区党支部'))
  return {
    root,
    district,
    street,
    communityA,
    branchA,
    gridA,
    communityB,
    branchB,
    admin: await createUser(db, { grants: [['admin', root]] }),
    secretaryA: await createUser(db, { grants: [['secretary', branchA]] }),
    secretaryB: await createUser(db, { grants: [['secretary', branchB]] }),
    panelistA: await createUser(db, { grants: [['panelist', branchA]] }),
    gridWorkerA: await createUser(db, { grants: [['grid_worker', branchA]] }),
    clerkA: await createUser(db, { grants: [['clerk', communityA]] }),
    clerkB: await createUser(db, { grants: [['clerk', communityB]] }),
    memberA: await createMemberUser(db, branchA, { name: '张三' }),
    memberB: await createMemberUser(db, branchB, { name: '李四' }),
  }
}
