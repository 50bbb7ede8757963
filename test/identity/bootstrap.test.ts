import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { bootstrapAdmin } from '../../src/modules/identity/bootstrap'
import { buildTestApp, type TestApp } from '../helpers/app'

// This file's database starts with no users, as on a first start with BOOTSTRAP_ADMIN_PASSWORD.
let t: TestApp

beforeAll(async () => {
  t = await buildTestApp()
})

describe('bootstrap admin', () => {
  it('on an empty users table creates the admin on the root, once, even when two processes race', async () => {
    const results = await Promise.all([
      bootstrapAdmin(t.db, 'admin', 'bootstrap-password-1'),
      bootstrapAdmin(t.db, 'admin', 'bootstrap-password-1'),
    ])
    expect(results.sort()).toEqual([false, true])
    const grants = await rows<{ role: string; kind: string }>(
      t.db,
      sql`select g.role, o.kind from users u join role_grants g on g.user_id = u.id join org_units o on o.id = g.org_unit_id
          where u.username = 'admin'`,
    )
    expect(grants).toEqual([{ role: 'admin', kind: 'root' }])
    const login = await t.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'bootstrap-password-1' },
    })
    expect(login.statusCode).toBe(200)
    expect(await bootstrapAdmin(t.db, 'admin2', 'bootstrap-password-2')).toBe(false)
  })
})
