import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { closeBrowser, PHONE, signIn, story } from './harness'

afterAll(closeBrowser)

/**
 * Every screen of the secretary's and the panelist's workspaces opens, reads and passes axe (harness.ts), on a
 * desktop and on a 375 px phone. Reading only: the shared demo server's story is the other files' (the seed's
 * story runs on its own server: story.e2e.ts).
 */
const SECRETARY_MENU = [
  ['待办事项', '待办事项'],
  ['志愿活动', '志愿活动'],
  ['积分申报', '积分申报'],
  ['评议公示', '评议公示'],
  ['我的评分', '我的评分'],
  ['党员管理', '党员管理'],
  ['积分细则', '积分细则'],
  ['排名与报表', '排名与报表'],
  ['积分更正', '积分更正'],
] as const

async function open(page: Page, name: string, heading: string) {
  const menu = page.getByRole('button', { name: '菜单' })
  if (await menu.isVisible()) await menu.click()
  await page.getByRole('menuitem', { name }).click()
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
  await page.waitForLoadState('networkidle')
  await expect.poll(() => page.locator('.ant-drawer-open').count()).toBe(0)
}

describe("the secretary's and the panelist's screens", () => {
  it('secretary, on a desktop: every menu entry and the pages behind them', async () => {
    const s = await story('secretary-desk')
    try {
      await s.step('secretary signs in to what waits', async (page) => {
        await signIn(page, 'demo-secretary')
        await page.getByRole('heading', { name: '待办事项', level: 1 }).waitFor()
      })
      for (const [name, heading] of SECRETARY_MENU) {
        await s.step(`secretary opens ${name}`, async (page) => open(page, name, heading))
      }
      await s.step('secretary opens a round on notice', async (page) => {
        await open(page, '评议公示', '评议公示')
        await page.getByRole('row').filter({ hasText: '公示中' }).getByRole('link').first().click()
        await page.getByRole('heading', { name: /^评议 / }).waitFor()
        await page.getByText('评议结果').waitFor()
      })
      await s.step('secretary opens the rubric in force', async (page) => {
        await open(page, '积分细则', '积分细则')
        await page.getByRole('row').filter({ hasText: '已启用' }).getByRole('link').first().click()
        await page.getByRole('heading', { name: /已启用/ }).waitFor()
      })
      await s.step('secretary opens an activity waiting to be verified', async (page) => {
        await open(page, '志愿活动', '志愿活动')
        await page.getByRole('link', { name: '重阳敬老：敬老院慰问演出' }).click()
        await page.getByRole('heading', { name: /重阳敬老/ }).waitFor()
        await page.getByRole('button', { name: /核实时长/ }).waitFor()
      })
      await s.step('a refused import lists every line at fault', async (page) => {
        await open(page, '党员管理', '党员管理')
        await page.getByRole('tab', { name: '批量导入' }).click()
        await page
          .getByLabel('CSV 内容')
          .fill(
            'name,isPartyMember,phone,workUnit\n张建国,是,13812345678,\n,是,138,\n李秀英,也许,13912345678,\n',
          )
        await page.getByRole('button', { name: /导\s*入/ }).click()
        await page.getByRole('alert').filter({ hasText: '未导入任何一行' }).waitFor()
        await page.getByRole('cell', { name: '3', exact: true }).first().waitFor()
        await page.getByRole('cell', { name: '4', exact: true }).first().waitFor()
      })
      await s.step('a correction without a reason is stopped in the form', async (page) => {
        await open(page, '积分更正', '积分更正')
        const picker = page.getByRole('combobox', { name: '选择党员（可输入姓名搜索）' })
        await picker.click()
        await picker.fill('李娜')
        await page
          .locator('.ant-select-dropdown:visible .ant-select-item-option')
          .filter({ hasText: '李娜' })
          .first()
          .click()
        await page.getByLabel('积分变动').fill('0')
        await page.getByRole('button', { name: /记入账本/ }).click()
        await page.getByText('不能为 0').waitFor()
        await page.getByText('必填').waitFor()
      })
    } finally {
      await s.close()
    }
  })

  it('secretary on a 375 px phone, and the panelist', async () => {
    const s = await story('secretary-phone', PHONE)
    try {
      await s.step('secretary signs in on a phone', async (page) => {
        await signIn(page, 'demo-secretary')
        await page.getByRole('heading', { name: '待办事项', level: 1 }).waitFor()
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
      })
      for (const [name, heading] of SECRETARY_MENU) {
        await s.step(`secretary opens ${name} on a phone`, async (page) => {
          await open(page, name, heading)
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
        })
      }
      const panelist = await s.person(PHONE)
      await panelist.step('panelist signs in to the claims to score', async (page) => {
        await signIn(page, 'demo-panelist')
        await page.getByRole('heading', { name: '待评申报', level: 1 }).waitFor()
        await page.waitForLoadState('networkidle')
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
      })
    } finally {
      await s.close()
    }
  })
})
