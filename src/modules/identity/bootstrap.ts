import { sql } from 'drizzle-orm'
import { type Db, one, transaction } from '../../db/client'
import { recordAudit } from '../audit'
import { hashPassword } from './passwords'

/** The one root unit of the tree, created on first start. */
export async function ensureRoot(db: Db): Promise<string> {
  const existing = await one<{ id: string }>(db, sql`select id from org_units where kind = 'root' limit 1`)
  if (existing) return existing.id
  return transaction(db, async (tx) => {
    const row = await one<{ id: string }>(
      tx,
      sql`insert into org_units (id, kind, name, path, depth)
          values (gen_random_uuid(), 'root', 'Root', '', 0)
          on conflict (kind) where kind = 'root' do nothing
          returning id`,
    )
    // Another process made it first (the one-root unique index made us wait for it, then do nothing).
    if (!row) return (await one<{ id: string }>(tx, sql`select id from org_units where kind = 'root'`))!.id
    await tx.execute(sql`update org_units set path = '/' || id || '/' where id = ${row.id}`)
    await recordAudit(tx, null, {
      action: 'org_unit.create',
      targetType: 'org_unit',
      targetId: row.id,
      orgUnitId: row.id,
    })
    return row.id
  })
}

/** On an empty users table, creates the bootstrap admin with role admin on the root. Returns whether it did. */
export async function bootstrapAdmin(
  db: Db,
  username: string,
  password: string | undefined,
): Promise<boolean> {
  if (!password) return false
  const rootId = await ensureRoot(db)
  const passwordHash = await hashPassword(password)
  return transaction(db, async (tx) => {
    // Advisory lock: two processes starting together must not both create an admin.
    await tx.execute(sql`select pg_advisory_xact_lock(727002)`)
    const any = await one(tx, sql`select 1 from users limit 1`)
    if (any) return false
    const user = (await one<{ id: string }>(
      tx,
      sql`insert into users (username, password_hash) values (${username}, ${passwordHash}) returning id`,
    ))!
    await tx.execute(
      sql`insert into role_grants (user_id, role, org_unit_id) values (${user.id}, 'admin', ${rootId})`,
    )
    await recordAudit(tx, null, {
      action: 'user.bootstrap_admin',
      targetType: 'user',
      targetId: user.id,
      orgUnitId: rootId,
      after: { username, roles: ['admin'] },
    })
    return true
  })
}
