/**
 * The seed's story through the console, as the people of 幸福社区 do it (issue 21): the secretary creates and
 * verifies an activity, opens a round, two panelists score (the secretary's first close is refused with the
 * quorum problem shown per claim), the secretary closes, the member objects, the secretary answers, the 公示
 * period passes, the secretary prints the sheet and finalizes; the member sees the points; the clerk redeems a
 * towel at the counter; the member sees the balance drop.
 *
 * It runs on real PostgreSQL (TEST_DATABASE_URL, as the rest of the tests; skipped without it): a fresh
 * database, its own server process on it (src/server.ts, the built console), the demo loaded by
 * story-demo.mjs. Real PostgreSQL, not the embedded one, because 公示 lasts days: the one step no person can
 * click through, "the notice period ends", is a single UPDATE of the round's closed_at / publicity_ends_at
 * (as the demo itself dates its history), after which finalize runs through the screen like everything else.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDecimal, subtractDecimal } from '../src/lib/decimal'
import { ARTIFACTS, closeBrowser, PHONE, signIn, story } from './harness'
import { freePort, stopServer, waitUntilReady } from './server'

const root = fileURLToPath(new URL('../..', import.meta.url))
const BASE_DB = process.env.TEST_DATABASE_URL
const TIMEZONE = 'Asia/Shanghai'

/** Reads a decimal shown by the console ("1,234.50") back as the API's string ("1234.50"). */
const plain = (text: string | null) => (text ?? '').replace(/[,\s]/g, '')

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** YYYY-MM-DD of a day relative to today in the service zone. */
function localDay(offsetDays: number): string {
  const d = new Date(Date.now() + offsetDays * 86_400_000)
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIMEZONE }).format(d)
}

let server: ChildProcess | undefined
let admin: pg.Client | undefined
let database = ''
let baseURL = ''

beforeAll(async () => {
  if (!BASE_DB) return
  execFileSync(process.execPath, [join(root, 'scripts', 'console-build.mjs')], { stdio: 'inherit' })
  admin = new pg.Client({ connectionString: BASE_DB })
  await admin.connect()
  database = `vp_e2e_story_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  await admin.query(`create database ${database}`)
  const url = withDatabase(BASE_DB, database)
  const port = await freePort()
  mkdirSync(join(ARTIFACTS, 'story'), { recursive: true })
  const log = createWriteStream(join(ARTIFACTS, 'story', 'server.log'))
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['DATABASE_READ_URL', 'REDIS_URL', 'DATA_DIR']) delete env[name]
  server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...env,
      DATABASE_URL: url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      PII_KEY: randomBytes(32).toString('hex'),
      TIMEZONE,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout?.pipe(log)
  server.stderr?.pipe(log)
  baseURL = `http://127.0.0.1:${port}`
  await waitUntilReady(server, baseURL, 120, `${ARTIFACTS}story/server.log`)
  // The server migrated the database; the demo goes in as `npm start` puts it into the embedded one.
  execFileSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'console', 'e2e', 'story-demo.mjs'), url, TIMEZONE],
    {
      cwd: root,
      stdio: 'inherit',
    },
  )
}, 240_000)

afterAll(async () => {
  await closeBrowser()
  await stopServer(server)
  if (admin) {
    if (database) await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }
})

/**
 * Waits until the toasts have gone: axe measures a fading toast's text as too light, so a step that ends
 * with one lets it leave first.
 */
async function quiet(page: Page) {
  await expect.poll(() => page.locator('.ant-message-notice').count(), { timeout: 10_000 }).toBe(0)
}

/** Opens a screen from the menu, as a person does (on a phone the menu is behind its button). */
async function open(page: Page, name: string) {
  const menu = page.getByRole('button', { name: '菜单' })
  if (await menu.isVisible()) await menu.click()
  await page.getByRole('menuitem', { name }).click()
  await page.getByRole('heading', { level: 1 }).first().waitFor()
}

/** The secretary opens a round from the list of rounds (its data read afresh). */
async function openRound(page: Page, period: string) {
  await open(page, '评议公示')
  await page.getByRole('link', { name: period }).click()
  await page.getByRole('heading', { name: new RegExp(`评议 ${period}`) }).waitFor()
}

/** Picks an option of an antd Select by its visible text. */
async function choose(page: Page, label: string | RegExp, option: string | RegExp, type?: string) {
  const box = page.getByLabel(label)
  await box.click()
  if (type) await box.fill(type)
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option')
    .filter({ hasText: option })
    .first()
    .click()
}

/** Scores every claim the queue offers with the claim's ceiling (time 4, content 5, quality 4). */
async function scoreAll(page: Page): Promise<number> {
  let scored = 0
  for (;;) {
    const summary = page.getByTestId('queue-summary')
    await summary.waitFor()
    const todo = Number(/待您评分 (\d+) 条/.exec((await summary.textContent()) ?? '')?.[1] ?? 'NaN')
    expect(todo).not.toBeNaN()
    if (todo === 0) break
    await page
      .getByRole('button', { name: /^评分 / })
      .first()
      .click()
    const drawer = page.getByRole('dialog')
    const ceiling = plain(await drawer.getByTestId('score-ceiling').textContent())
    await drawer.getByLabel('时间').fill('4')
    await drawer.getByLabel('内容').fill('5')
    await drawer.getByLabel('质量').fill('4')
    await drawer.getByLabel('给分').fill(ceiling)
    await drawer.getByRole('button', { name: /提交评分/ }).click()
    await page
      .getByText(/评分已保存/)
      .last()
      .waitFor()
    await drawer.waitFor({ state: 'hidden' })
    scored += 1
  }
  return scored
}

describe.skipIf(!BASE_DB)(
  'the seed story: activity, round, panel, publicity, objection, finalize, points, towel',
  () => {
    it('runs as people do it', async () => {
      const day = localDay(-1)
      const period = `${day} – ${day}`
      const secretary = await story('story', undefined, { baseURL })
      const panelist = await secretary.person()
      const member = await secretary.person(PHONE)
      const clerk = await secretary.person()
      let before = ''
      let awarded = ''
      try {
        await secretary.step('secretary signs in and sees what waits', async (page) => {
          await signIn(page, 'demo-secretary')
          await page.getByRole('heading', { name: '待办事项' }).waitFor()
          await page.getByText('重阳敬老：敬老院慰问演出').waitFor()
          // The README's picture of the secretary's home (E2E_DOCS_SCREENSHOTS=1 refreshes docs/).
          if (process.env.E2E_DOCS_SCREENSHOTS) {
            await page.waitForLoadState('networkidle')
            await page.screenshot({ path: join(root, 'docs', 'console-secretary-home.png') })
          }
          await page.getByText('重阳敬老：敬老院慰问演出').waitFor()
          await page
            .getByText(/公示至/)
            .first()
            .waitFor()
        })
        await secretary.step('secretary creates an activity held yesterday', async (page) => {
          await open(page, '志愿活动')
          await page.getByRole('button', { name: '新建活动' }).click()
          const dialog = page.getByRole('dialog')
          await dialog.getByLabel('活动名称').fill('文明县城创建：清理小区楼道')
          await dialog.getByLabel('开始时间').fill(`${day}T09:00`)
          await dialog.getByLabel('结束时间').fill(`${day}T11:00`)
          await dialog.getByLabel('地点').fill('幸福苑小区')
          await choose(page, '计分细则项目', /CIVILITY/)
          await dialog.getByRole('button', { name: /创\s*建/ }).click()
          await page.getByRole('heading', { name: /文明县城创建：清理小区楼道/ }).waitFor()
          await quiet(page)
        })
        await secretary.step('secretary records who took part and their hours', async (page) => {
          for (const name of ['张伟', '李娜']) {
            await choose(page, '党员', name, name)
            await page.getByLabel('服务时长（小时）').fill('2')
            await page.getByRole('button', { name: /登\s*记/ }).click()
            await page.getByRole('cell', { name, exact: true }).waitFor()
          }
          // The form's rule says the same as the API: no more hours than the activity lasted.
          await choose(page, '党员', '刘洋', '刘洋')
          await page.getByLabel('服务时长（小时）').fill('2.5')
          await page.getByRole('button', { name: /登\s*记/ }).click()
          await page.getByText('不能超过 2.00').waitFor()
          await page.getByLabel('服务时长（小时）').fill('')
          await quiet(page)
        })
        await secretary.step('secretary verifies the hours (claims are drafted)', async (page) => {
          await page.getByRole('button', { name: /核实时长/ }).click()
          await page
            .getByRole('dialog')
            .getByRole('button', { name: /核实时长/ })
            .click()
          await page.getByText('已核实', { exact: true }).first().waitFor()
          await open(page, '积分申报')
          await page
            .getByRole('row')
            .filter({ hasText: '张伟' })
            .filter({ hasText: 'CIVILITY' })
            .filter({ hasText: day })
            .waitFor()
          await quiet(page)
        })
        await secretary.step('secretary opens a round with a panel of two', async (page) => {
          await open(page, '评议公示')
          await page.getByRole('button', { name: '发起评议' }).click()
          const dialog = page.getByRole('dialog')
          await dialog.getByLabel('起始日期').fill(day)
          await dialog.getByLabel('截止日期').fill(day)
          await dialog.getByLabel(/demo-secretary/).check()
          await dialog.getByLabel(/demo-panelist/).check()
          await dialog.getByRole('button', { name: /发\s*起/ }).click()
          await page.getByRole('heading', { name: new RegExp(`评议 ${period}`) }).waitFor()
          await page.getByText('评分进度').waitFor()
          await quiet(page)
        })

        await panelist.step('panelist scores the queue within each ceiling', async (page) => {
          await signIn(page, 'demo-panelist')
          await page.getByRole('heading', { name: '待评申报' }).waitFor()
          // A panelist who is not a secretary reads neither the roster nor activities: the round itself names
          // each member and resolves the evidence (getScoringRound's detail).
          for (const name of ['张伟', '李娜'])
            await page.getByRole('button', { name: new RegExp(`^评分 ${name} CIVILITY`) }).waitFor()
          // A score above the ceiling is stopped in the form, before the API's 422.
          await page.getByRole('button', { name: /^评分 张伟 CIVILITY/ }).click()
          const drawer = page.getByRole('dialog')
          await drawer.getByText('张伟', { exact: true }).waitFor()
          await drawer
            .getByTestId('score-evidence')
            .getByText(`活动：文明县城创建：清理小区楼道（${day}，本人服务 2.00 小时，已核实）`)
            .waitFor()
          const ceiling = plain(await drawer.getByTestId('score-ceiling').textContent())
          await drawer.getByLabel('时间').fill('4')
          await drawer.getByLabel('内容').fill('5')
          await drawer.getByLabel('质量').fill('4')
          await drawer.getByLabel('给分').fill(addDecimal(ceiling, '0.01'))
          await drawer.getByRole('button', { name: /提交评分/ }).click()
          await drawer.getByText(`须在 0.00 到 ${ceiling} 之间`).waitFor()
          await drawer.getByRole('button', { name: 'Close' }).click()
          expect(await scoreAll(page)).toBeGreaterThanOrEqual(2)
          await quiet(page)
        })

        await secretary.step(
          'secretary tries to close: the quorum problem is shown per claim',
          async (page) => {
            await openRound(page, period)
            await page.getByRole('button', { name: '结束评分并公示' }).click()
            const alert = page.getByRole('alert').filter({ hasText: '评分人数不足' })
            await alert.waitFor()
            await expect.poll(() => alert.getByText(/张伟 · CIVILITY/).count()).toBe(1)
            await page
              .getByText(/还差 1 份/)
              .first()
              .waitFor()
            await quiet(page)
          },
        )
        await secretary.step('secretary scores as the second panelist', async (page) => {
          await open(page, '我的评分')
          await page.getByRole('heading', { name: '我的评分' }).waitFor()
          expect(await scoreAll(page)).toBeGreaterThanOrEqual(1)
          await quiet(page)
        })
        await secretary.step(
          'secretary closes: results on public notice, nothing divergent',
          async (page) => {
            await openRound(page, period)
            await page.getByRole('button', { name: '结束评分并公示' }).click()
            await page.getByText(/评分结束，公示至/).waitFor()
            await page.getByText('评议结果').waitFor()
            await page.getByRole('row').filter({ hasText: '张伟' }).filter({ hasText: 'CIVILITY' }).waitFor()
            await quiet(page)
          },
        )

        await member.step('member (on a phone) reads the notice and objects', async (page) => {
          await signIn(page, 'demo-member')
          await expect
            .poll(async () => plain(await page.getByTestId('available').textContent()))
            .toMatch(/^\d+\.\d\d$/)
          before = plain(await page.getByTestId('available').textContent())
          await open(page, '公示与异议')
          const card = page.locator('.ant-card').filter({ hasText: period })
          await card
            .getByRole('row')
            .filter({ hasText: '张伟' })
            .getByRole('button', { name: /提出异议/ })
            .click()
          await page.getByRole('dialog').getByLabel('原因').fill('清理楼道实际从八点半开始，请核实时长。')
          await page
            .getByRole('dialog')
            .getByRole('button', { name: /提出异议/ })
            .click()
          await page.getByText('异议已提交，支部将答复').waitFor()
          await quiet(page)
        })

        await secretary.step('secretary answers the objection', async (page) => {
          await openRound(page, period)
          await page.getByText('清理楼道实际从八点半开始，请核实时长。').first().waitFor()
          await page
            .getByRole('button', { name: /^答\s*复$/ })
            .first()
            .click()
          const dialog = page.getByRole('dialog')
          await dialog.getByLabel('答复内容').fill('签到记录为九点，时长按两小时核定，维持评分结果。')
          await dialog.getByRole('button', { name: /答\s*复/ }).click()
          await page.getByText('已答复', { exact: true }).first().waitFor()
          await page.getByText(/答复：签到记录为九点/).waitFor()
          await quiet(page)
        })

        // The notice period runs for days: it ends here, in the database, as the demo dates its history.
        const db = new pg.Client({ connectionString: withDatabase(BASE_DB!, database) })
        await db.connect()
        const moved = await db
          .query(
            `update scoring_rounds
            set closed_at = closed_at - interval '10 days',
                publicity_ends_at = now() - interval '1 minute',
                created_at = least(created_at, now() - interval '11 days')
          where status = 'publicity' and period_start = $1 and period_end = $1`,
            [day],
          )
          .finally(() => db.end())
        expect(moved.rowCount).toBe(1)

        await secretary.step(
          'the notice period is over: secretary prints the sheet and finalizes',
          async (page) => {
            await openRound(page, period)
            const download = page.waitForEvent('download')
            await page.getByRole('button', { name: /打印公示单/ }).click()
            expect((await download).suggestedFilename()).toMatch(/\.pdf$/)
            await page.getByRole('button', { name: /定稿入账/ }).click()
            await page
              .getByRole('dialog')
              .getByRole('button', { name: /定稿入账/ })
              .click()
            await page.getByText(/已定稿：入账/).waitFor()
            const row = page.getByRole('row').filter({ hasText: '张伟' }).filter({ hasText: 'CIVILITY' })
            await expect
              .poll(async () => plain(await row.getByRole('cell').nth(6).textContent()))
              .toMatch(/^\d+\.\d\d$/)
            awarded = plain(await row.getByRole('cell').nth(6).textContent())
            await quiet(page)
          },
        )

        await member.step('member sees the points arrive', async (page) => {
          await open(page, '我的积分')
          await expect
            .poll(async () => plain(await page.getByTestId('available').textContent()))
            .toBe(addDecimal(before, awarded))
          before = addDecimal(before, awarded)
        })

        let code = ''
        await member.step('member shows the member code at the counter', async (page) => {
          await open(page, '会员码')
          code = ((await page.getByTestId('member-code').textContent()) ?? '').trim()
          expect(code).toMatch(/^[0-9a-f-]{36}$/)
        })
        await clerk.step('clerk finds the member by the code', async (page) => {
          await signIn(page, 'demo-clerk')
          await page.getByLabel('姓名、手机号或会员码').fill(code)
          await page.getByRole('button', { name: /查\s*询/ }).click()
          await page
            .getByRole('button', { name: /^选择 / })
            .first()
            .click()
          await expect
            .poll(async () => plain(await page.getByTestId('counter-available').textContent()))
            .toBe(before)
        })
        await clerk.step('clerk reserves a towel and hands it out', async (page) => {
          await page.getByRole('button', { name: '兑换 毛巾' }).click()
          await page
            .getByRole('dialog')
            .getByRole('button', { name: /兑\s*换/ })
            .click()
          await page.getByText('已预留「毛巾」').waitFor()
          const row = page.getByRole('row').filter({ hasText: '毛巾' }).filter({ hasText: '待领取' }).first()
          await row.getByRole('button', { name: /发\s*放/ }).click()
          await page.getByText('「毛巾」已发放').waitFor()
        })

        await member.step('member sees the balance drop by the towel', async (page) => {
          await open(page, '我的积分')
          await expect
            .poll(async () => plain(await page.getByTestId('available').textContent()))
            .toBe(subtractDecimal(before, '10.00'))
        })
      } finally {
        await secretary.close()
      }
    }, 300_000)
  },
)
