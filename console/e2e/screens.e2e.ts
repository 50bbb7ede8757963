import { afterAll, describe, expect, it } from 'vitest'
import { baseURL, closeBrowser, PHONE, signIn, story } from './harness'

afterAll(closeBrowser)

/** Every screen of the member, clerk and grid-worker workspaces, each checked by axe (harness.ts). */
describe('every screen opens, reads and passes axe', () => {
  it('member, on a 375 px phone: every menu entry, English and back, sign out', async () => {
    const s = await story('member-phone', PHONE)
    try {
      await s.step('member signs in on a phone', async (page) => {
        await signIn(page, 'demo-member')
        await page.getByTestId('balance').waitFor()
        // Nothing wider than the screen: the page does not scroll sideways.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
      })
      for (const [name, heading] of [
        ['积分明细', '积分明细'],
        ['积分兑换', '积分兑换'],
        ['活动报名与签到', '活动报名与签到'],
        ['亮积分', '亮积分'],
        ['公示与异议', '公示与异议'],
        ['会员码', '会员码'],
      ] as const) {
        await s.step(`member opens ${name}`, async (page) => {
          await page.getByRole('button', { name: '菜单' }).click()
          await page.getByRole('menuitem', { name }).click()
          await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
          await page.waitForLoadState('networkidle')
          await expect.poll(() => page.locator('.ant-drawer-open').count()).toBe(0)
          // Every screen a member has is served to members: no refusal shown.
          expect(await page.locator('.ant-alert-error').count()).toBe(0)
        })
      }
      await s.step('member switches to English', async (page) => {
        await page.getByRole('button', { name: 'English' }).click()
        await page.getByRole('heading', { name: 'Member code', level: 1 }).waitFor()
        await page.getByRole('button', { name: /中\s*文/ }).click()
        await page.getByRole('heading', { name: '会员码', level: 1 }).waitFor()
      })
      await s.step('member signs out', async (page) => {
        await page.getByRole('button', { name: /退出登录/ }).click()
        await page.getByRole('heading', { name: '登录工作台' }).waitFor()
        expect(await page.evaluate(() => sessionStorage.getItem('vp.console.refresh'))).toBeNull()
      })
      await s.step('a wrong password reads as a Chinese message, not JSON', async (page) => {
        await page.getByLabel('用户名').fill('demo-member')
        await page.getByLabel('密码').fill('wrong-password')
        await page.getByRole('button', { name: /登\s*录/ }).click()
        const alert = page.getByRole('alert').filter({ hasText: '登录' })
        await alert.waitFor()
        expect(await alert.textContent()).not.toContain('{')
      })
    } finally {
      await s.close()
    }
  })

  /** JSON from the demo server as a demo login (setup the story needs that no screen makes). */
  async function asDemo(username: string) {
    const login = await fetch(`${baseURL()}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `${username}-pass` }),
    })
    const { accessToken } = (await login.json()) as { accessToken: string }
    return async (path: string, body?: unknown) => {
      const res = await fetch(`${baseURL()}/api/v1${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      expect(res.ok, `${path}: ${res.status}`).toBe(true)
      return res.json()
    }
  }

  /**
   * An activity of 张伟's community starting in two days, made by the admin (a unit above the branch, so the
   * branch's secretary and grid worker screens, which other stories read, do not list it).
   */
  async function communityActivity(title: string): Promise<void> {
    const member = await asDemo('demo-member')
    const me = (await member('/me')) as { member: { orgUnitId: string } }
    const branch = (await member(`/org-units/${me.member.orgUnitId}`)) as { parentId: string }
    const admin = await asDemo('demo-admin')
    const startsAt = Date.now() + 48 * 3_600_000
    await admin('/activities', {
      orgUnitId: branch.parentId,
      title,
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(startsAt + 2 * 3_600_000).toISOString(),
      capacity: 30,
    })
  }

  it('member checks in with a door code that is not valid and reads why, in Chinese', async () => {
    const s = await story('member-activities')
    const title = `社区环境整治 ${Date.now().toString(36)}`
    try {
      await communityActivity(title)
      await s.step('member opens the activities: their sign-ups, no error', async (page) => {
        await signIn(page, 'demo-member')
        await page.getByRole('menuitem', { name: '活动报名与签到' }).click()
        await page.getByRole('heading', { name: '我的报名', level: 2 }).waitFor()
        await page.waitForLoadState('networkidle')
        expect(await page.getByRole('alert').count()).toBe(0)
      })
      await s.step('member signs up for an activity of the community from the open list', async (page) => {
        await page.getByRole('heading', { name: '可报名的活动', level: 2 }).waitFor()
        await page.getByRole('button', { name: `报名 ${title}` }).click()
        await page.getByText('报名成功').first().waitFor()
        const row = page.getByRole('row').filter({ hasText: title })
        await row.first().getByText('已报名').waitFor()
        // And it is among their sign-ups below.
        await expect.poll(async () => await page.getByRole('row').filter({ hasText: title }).count()).toBe(2)
      })
      await s.step('a door code of an activity they may not serve at is refused in words', async (page) => {
        await page
          .getByLabel('扫描或粘贴现场二维码内容（vp-checkin:…）')
          .fill('vp-checkin:00000000-0000-4000-8000-000000000000:123456')
        await page
          .getByRole('button', { name: /^签\s*到$/ })
          .first()
          .click()
        const toast = page.locator('.ant-message-error')
        await toast.first().waitFor()
        const text = (await toast.first().textContent()) ?? ''
        expect(text).toContain('未找到该记录')
        expect(text).not.toMatch(/[{}]|not_found/)
      })
    } finally {
      await s.close()
    }
  })

  it('a secretary who is also a member switches to the member workspace', async () => {
    const s = await story('role-switch')
    try {
      await s.step('secretary signs in', async (page) => {
        await signIn(page, 'demo-secretary')
        await page.waitForURL(/\/console\/secretary/)
      })
      await s.step('switches to 党员 and sees her own points', async (page) => {
        await page.locator('.ant-layout-header .ant-select').click()
        await page.locator('.ant-select-item-option', { hasText: '党员' }).click()
        await page.waitForURL(/\/console\/member$/)
        await page.getByTestId('balance').waitFor()
        await page.reload()
        await page.getByTestId('balance').waitFor()
        expect(page.url()).toMatch(/\/console\/member$/)
      })
    } finally {
      await s.close()
    }
  })

  it("clerk's catalogue and today's redemptions", async () => {
    const s = await story('clerk-screens')
    try {
      await s.step('clerk opens the catalogue', async (page) => {
        await signIn(page, 'demo-clerk')
        await page.getByRole('menuitem', { name: '积分超市商品' }).click()
        await page.getByRole('cell', { name: '毛巾', exact: true }).waitFor()
      })
      await s.step('clerk stocks in five towels', async (page) => {
        const row = page
          .getByRole('row')
          .filter({ has: page.getByRole('cell', { name: '毛巾', exact: true }) })
        const before = Number(await row.locator('td').nth(2).textContent())
        await row.getByRole('button', { name: /入\s*库/ }).click()
        await page.getByRole('dialog').getByLabel('数量').fill('5')
        await page
          .getByRole('dialog')
          .getByRole('button', { name: /保\s*存/ })
          .click()
        await expect.poll(async () => Number(await row.locator('td').nth(2).textContent())).toBe(before + 5)
      })
      await s.step('a write-off without a reason is refused by the form', async (page) => {
        const row = page
          .getByRole('row')
          .filter({ has: page.getByRole('cell', { name: '毛巾', exact: true }) })
        await row.getByRole('button', { name: /报\s*损/ }).click()
        await page.getByRole('dialog').getByLabel('数量').fill('1')
        await page
          .getByRole('dialog')
          .getByRole('button', { name: /保\s*存/ })
          .click()
        await page.locator('.ant-form-item-explain-error').first().waitFor()
        await page
          .getByRole('dialog')
          .getByRole('button', { name: /取\s*消/ })
          .click()
      })
      await s.step("clerk opens today's redemptions", async (page) => {
        await page.getByRole('menuitem', { name: '今日兑换' }).click()
        await page.getByRole('heading', { name: /今日兑换/ }).waitFor()
      })
    } finally {
      await s.close()
    }
  })

  it("grid worker's activities, the door code full-screen, and service requests", async () => {
    const s = await story('grid-screens')
    try {
      await s.step('grid worker sees the activities', async (page) => {
        await signIn(page, 'demo-grid')
        await page.getByRole('heading', { name: '网格活动' }).waitFor()
        await page.waitForLoadState('networkidle')
      })
      await s.step(
        'the door screen of an open activity: the code, or why there is none, in words',
        async (page) => {
          const open = page.getByRole('button', { name: /签到码/ })
          if ((await open.count()) === 0) return
          await open.first().click()
          await page.getByTestId('check-in-code').or(page.getByRole('alert')).first().waitFor()
          if (await page.getByTestId('check-in-code').count())
            expect(await page.getByTestId('check-in-code').textContent()).toMatch(/^\d{6}$/)
          else expect(await page.getByRole('alert').first().textContent()).not.toContain('{')
          await page.getByRole('button', { name: /返\s*回/ }).click()
          await page.getByRole('heading', { name: '网格活动' }).waitFor()
        },
      )
      await s.step('verified activities', async (page) => {
        await page.getByText('已审核').first().click()
        await page.waitForLoadState('networkidle')
      })
      await s.step('grid worker opens the service requests', async (page) => {
        await page.getByRole('menuitem', { name: '群众点单' }).click()
        await page.getByRole('heading', { name: '群众点单' }).waitFor()
        await page.waitForLoadState('networkidle')
        expect(await page.locator('.ant-alert-error').count()).toBe(0)
      })
      await s.step('grid worker dispatches an open request to a member found by name', async (page) => {
        const dispatch = page.getByRole('button', { name: /^派\s*单$/ })
        if ((await dispatch.count()) === 0) return
        await dispatch.first().click()
        const dialog = page.getByRole('dialog')
        await dialog.locator('.ant-select').click()
        await page.keyboard.type('张')
        await page.locator('.ant-select-item-option', { hasText: '张' }).first().click()
        await dialog.getByRole('button', { name: /^派\s*单$/ }).click()
        await page.getByText('操作成功').waitFor()
      })
    } finally {
      await s.close()
    }
  })
})
