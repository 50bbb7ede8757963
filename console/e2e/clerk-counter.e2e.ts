import { afterAll, describe, expect, it } from 'vitest'
import { subtractDecimal } from '../src/lib/decimal'
import { closeBrowser, docsScreenshot, signIn, story } from './harness'

afterAll(closeBrowser)

/** Reads a decimal shown by the console ("1,234.50") back as the API's string ("1234.50"). */
const plain = (text: string | null) => (text ?? '').replace(/,/g, '').trim()

describe('the clerk redeems a towel at the counter and the member sees the balance drop', () => {
  it('runs as people do it', async () => {
    const s = await story('clerk-counter')
    const clerk = await s.person()
    let before = ''
    try {
      await s.step('member signs in and sees the balance', async (page) => {
        await signIn(page, 'demo-member')
        await expect
          .poll(async () => plain(await page.getByTestId('available').textContent()))
          .toMatch(/^\d+\.\d\d$/)
        before = plain(await page.getByTestId('available').textContent())
      })
      let code = ''
      await s.step('member opens the member code to show at the counter', async (page) => {
        await page.getByRole('link', { name: '会员码' }).first().click()
        code = ((await page.getByTestId('member-code').textContent()) ?? '').trim()
        expect(code).toMatch(/^[0-9a-f-]{36}$/)
      })

      await clerk.step('clerk signs in at the counter', async (page) => {
        await signIn(page, 'demo-clerk')
        await page.getByRole('heading', { name: '兑换柜台' }).waitFor()
      })
      await clerk.step(
        'clerk finds the member by name (the phone masked), the code still works',
        async (page) => {
          const search = page.getByLabel('姓名、手机号或会员码')
          await search.fill(code)
          await page.getByRole('button', { name: /查\s*询/ }).click()
          await page.getByRole('button', { name: '选择 张伟' }).waitFor()
          await search.fill('张伟')
          await page.getByRole('button', { name: /查\s*询/ }).click()
          const found = page.getByRole('listitem').filter({ hasText: '张伟' }).first()
          await expect.poll(async () => (await found.textContent()) ?? '').toMatch(/\d{3}\*{4}\d{4}/)
          await page.getByRole('button', { name: '选择 张伟' }).click()
          await expect
            .poll(async () => plain(await page.getByTestId('counter-available').textContent()))
            .toBe(before)
        },
      )
      await clerk.step('clerk reserves a towel from the catalogue', async (page) => {
        await page.getByRole('button', { name: '兑换 毛巾' }).click()
        await page
          .getByRole('dialog')
          .getByRole('button', { name: /兑\s*换/ })
          .click()
        await page.getByText('已预留「毛巾」').waitFor()
        await expect
          .poll(async () => plain(await page.getByTestId('counter-available').textContent()))
          .toBe(subtractDecimal(before, '10.00'))
        await docsScreenshot(page, 'console-clerk-counter')
      })
      await clerk.step('clerk hands the towel out', async (page) => {
        const row = page.getByRole('row').filter({ hasText: '毛巾' }).filter({ hasText: '待领取' }).first()
        await row.getByRole('button', { name: /发\s*放/ }).click()
        await page.getByText('「毛巾」已发放').waitFor()
      })

      await s.step('member reloads (still signed in) and sees the balance drop by 10.00', async (page) => {
        // A reload exchanges the kept refresh token once (single use): wait for it before going on.
        await page.reload()
        await page.getByTestId('member-code').waitFor()
        await page.getByRole('menuitem', { name: '我的积分' }).click()
        await expect
          .poll(async () => plain(await page.getByTestId('available').textContent()))
          .toBe(subtractDecimal(before, '10.00'))
      })
      await s.step('member sees the towel handed out and the ledger line', async (page) => {
        await page.getByRole('menuitem', { name: '积分兑换' }).click()
        await page
          .getByRole('row')
          .filter({ hasText: '毛巾' })
          .filter({ hasText: '已发放' })
          .first()
          .waitFor()
        await page.getByRole('menuitem', { name: '积分明细' }).click()
        await page.getByRole('cell', { name: '兑换扣减' }).first().waitFor()
      })
    } finally {
      await s.close()
    }
  })
})
