/**
 * The e2e harness: a headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM) driven by playwright-core,
 * axe-core on every screen a step shows, and a screenshot of every step under console/e2e/artifacts/ (git
 * ignores it; CI keeps it as an artefact).
 *
 * A story is a sequence of steps as people do them:
 *
 *   const s = await story('clerk-counter')
 *   await s.step('member signs in', async (page) => { await signIn(page, 'demo-member') ... })
 *   await s.close()
 *
 * Each step runs its function, then checks the page with axe (WCAG 2.1 A and AA rules; any serious or critical
 * violation fails the step, listed with its selectors) and saves <story>/<nn>-<step>.png.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { expect, inject } from 'vitest'

export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url))
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]

export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 375, height: 740 }

let browser: Browser | undefined

export async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  return browser
}

export function baseURL(): string {
  return inject('baseURL')
}

/** Serious and critical axe violations of the page as it is now, as readable lines. */
export async function axeProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

export interface Story {
  page: Page
  context: BrowserContext
  /** Runs one step, then axe and a screenshot. */
  step(title: string, run: (page: Page) => Promise<void>): Promise<void>
  /** A new browser page of its own (another person at another desk), closed with the story. */
  person(viewport?: { width: number; height: number }): Promise<Story>
  close(): Promise<void>
}

/** `options.baseURL`: a story on a server of its own (story.e2e.ts runs one on PostgreSQL). */
export async function story(
  name: string,
  viewport = DESKTOP,
  options: { baseURL?: string } = {},
): Promise<Story> {
  const b = await launch()
  const dir = join(ARTIFACTS, name)
  mkdirSync(dir, { recursive: true })
  let n = 0
  const others: Story[] = []
  const make = async (vp: { width: number; height: number }): Promise<Story> => {
    const context = await b.newContext({
      viewport: vp,
      locale: 'zh-CN',
      baseURL: options.baseURL ?? baseURL(),
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => {
      // A CSP refusal or a failed script shows here: fail the step that caused it.
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text())
    })
    const self: Story = {
      page,
      context,
      async step(title, run) {
        n += 1
        const file = join(
          dir,
          `${String(n).padStart(2, '0')}-${title.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 60)}.png`,
        )
        try {
          await run(page)
          await page.waitForLoadState('networkidle').catch(() => {})
          // Let toasts and dialogs finish their entrance: axe measures a half-faded text's contrast otherwise.
          await page
            .waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, {
              timeout: 3000,
            })
            .catch(() => {})
          const problems = await axeProblems(page)
          expect(problems, `axe on "${title}"`).toEqual([])
          expect(errors, `page errors on "${title}"`).toEqual([])
        } finally {
          await page.screenshot({ path: file, fullPage: true }).catch(() => {})
        }
      },
      async person(vp2 = DESKTOP) {
        const other = await make(vp2)
        others.push(other)
        return other
      },
      async close() {
        for (const o of others) await o.context.close()
        await context.close()
      },
    }
    return self
  }
  return make(viewport)
}

/** Signs in on the login screen, as a person types it (demo passwords are `<username>-pass`). */
export async function signIn(page: Page, username: string, password = `${username}-pass`): Promise<void> {
  await page.goto('/console/login')
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: /登\s*录/ }).click()
  await page.waitForURL((url) => !url.pathname.endsWith('/login'))
}

/**
 * The README's pictures: with E2E_DOCS_SCREENSHOTS=1 a step may save the page as docs/<name>.png (keep them
 * small: one viewport, PNG under 150 KB). `E2E_DOCS_SCREENSHOTS=1 npm run test:e2e` refreshes them.
 */
export async function docsScreenshot(page: Page, name: string): Promise<void> {
  if (!process.env.E2E_DOCS_SCREENSHOTS) return
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'))
  await page.screenshot({ path: fileURLToPath(new URL(`../../docs/${name}.png`, import.meta.url)) })
}

export async function closeBrowser(): Promise<void> {
  await browser?.close()
  browser = undefined
}
