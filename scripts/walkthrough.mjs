#!/usr/bin/env node
// Runs the README's walk-through ("## Call it") exactly as written, on a fresh embedded demo: the ```sh blocks are
// taken from README.md itself, so what a newcomer reads is what CI runs. `npm start` is started on a new DATA_DIR
// and a free port (the blocks' localhost:3000 is pointed at it), the blocks run in order in one bash, and every
// curl is recorded through a wrapper (curl itself, plus -o/-w to keep the status and body): each answer must have
// the status below and the few fields checked. Exits 1 on the first thing that differs, with the server's log.
//
//   node scripts/walkthrough.mjs          (from the repository root; bash .ci/run calls it)
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SECTION = '## Call it'

const json = (body) => JSON.parse(body.replace(/^\uFEFF/, ''))
const balance = (expected) => (body) => {
  const b = json(body)
  return b.balance === expected.balance && b.available === expected.available
    ? null
    : `balance ${b.balance}, available ${b.available}; expected ${expected.balance} / ${expected.available}`
}

/**
 * What each curl of the walk-through must answer, in order: method, path (and query), status, and a check of the
 * body that returns a complaint or null. A README edit that adds, drops or reorders a call fails here until this
 * list says what the new call must answer.
 */
const STEPS = [
  ['POST', /^\/api\/v1\/auth\/login$/, 200, (b) => (json(b).accessToken ? null : 'no accessToken')],
  [
    'GET',
    /^\/api\/v1\/me$/,
    200,
    (b) => (json(b).member?.name === '张伟' ? null : 'demo-member is not 张伟'),
  ],
  ['GET', /^\/api\/v1\/me$/, 200],
  [
    'GET',
    /^\/api\/v1\/members\/[0-9a-f-]{36}\/balance$/,
    200,
    balance({ balance: '26.75', available: '26.75' }),
  ],
  ['GET', /^\/api\/v1\/rewards\?limit=5$/, 200, (b) => (json(b).items.length === 3 ? null : 'not 3 rewards')],
  ['POST', /^\/api\/v1\/auth\/login$/, 200],
  [
    'GET',
    /^\/api\/v1\/scoring-rounds\?status=publicity$/,
    200,
    (b) => (json(b).items.length === 2 ? null : 'not 2 rounds on notice'),
  ],
  ['GET', /^\/api\/v1\/scoring-rounds\?status=publicity$/, 200],
  [
    'GET',
    /^\/api\/v1\/scoring-rounds\/[0-9a-f-]{36}\/results$/,
    200,
    (b) => (b.split('\n').length >= 6 ? null : 'fewer than 5 results in the CSV'),
  ],
  [
    'POST',
    /^\/api\/v1\/scoring-rounds\/[0-9a-f-]{36}\/finalize$/,
    200,
    (b) => (json(b).posted === 5 && json(b).totalPoints ? null : `posted ${json(b).posted}, not 5`),
  ],
  [
    'GET',
    /^\/api\/v1\/members\/[0-9a-f-]{36}\/balance$/,
    200,
    balance({ balance: '32.25', available: '32.25' }),
  ],
  ['GET', /^\/api\/v1\/rewards$/, 200],
  ['POST', /^\/api\/v1\/redemptions$/, 201, (b) => (json(b).status === 'reserved' ? null : 'not reserved')],
  [
    'GET',
    /^\/api\/v1\/members\/[0-9a-f-]{36}\/balance$/,
    200,
    balance({ balance: '32.25', available: '12.25' }),
  ],
  ['POST', /^\/api\/v1\/auth\/login$/, 200],
  [
    'POST',
    /^\/api\/v1\/redemptions\/[0-9a-f-]{36}\/fulfil$/,
    200,
    (b) => (json(b).status === 'fulfilled' ? null : 'not fulfilled'),
  ],
  [
    'GET',
    /^\/api\/v1\/members\/[0-9a-f-]{36}\/balance$/,
    200,
    balance({ balance: '12.25', available: '12.25' }),
  ],
  ['GET', /^\/api\/v1\/members\/[0-9a-f-]{36}\/service-certificates$/, 200],
  [
    'GET',
    /^\/service-certificates\/[0-9A-Z]{26}$/,
    200,
    (b) =>
      json(b).valid === true && json(b).memberName === '张伟' ? null : 'not a valid certificate of 张伟',
  ],
]

/** The ```sh blocks of the README section, in order. */
function readmeBlocks() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf(`\n${SECTION}\n`)
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`)
  const rest = readme.slice(start + SECTION.length + 2)
  const end = rest.search(/^## /m)
  const section = end < 0 ? rest : rest.slice(0, end)
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1])
  if (blocks.length === 0) throw new Error(`README.md's "${SECTION}" has no sh block`)
  return blocks
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitReady(port, server, seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    if (server.exitCode !== null) throw new Error(`npm start exited with ${server.exitCode}`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`)
      if (res.ok) return
    } catch {}
    await sleep(500)
  }
  throw new Error(`npm start was not ready within ${seconds} s`)
}

async function stop(server) {
  if (server.exitCode !== null) return
  const exited = new Promise((r) => server.once('exit', r))
  try {
    process.kill(-server.pid, 'SIGTERM') // its own process group: npm, tsx and node alike
  } catch {}
  const done = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)])
  if (!done) {
    try {
      process.kill(-server.pid, 'SIGKILL')
    } catch {}
    await exited
  }
}

// The observer: curl as typed, with its body kept in a file and its status, method and URL logged.
const PRELUDE = `set -eo pipefail
curl() {
  local body meta
  body=$(mktemp "$WALK_DIR/body.XXXXXX")
  meta=$(command curl -o "$body" -w '%{http_code} %{method} %{url_effective}' "$@") || {
    echo "walkthrough: curl failed: curl $*" >&2; return 1; }
  printf '%s %s\\n' "$body" "$meta" >> "$WALK_DIR/calls.log"
  cat "$body"
}
`

async function main() {
  const blocks = readmeBlocks()
  const dir = mkdtempSync(join(tmpdir(), 'walkthrough-'))
  const port = await freePort()
  const log = join(dir, 'server.log')
  const out = []
  const server = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: join(dir, 'data'), PORT: String(port), LOG_LEVEL: 'info' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout.on('data', (d) => out.push(d))
  server.stderr.on('data', (d) => out.push(d))
  const problems = []
  try {
    const started = Date.now()
    await waitReady(port, server, 180)
    console.log(`walkthrough: npm start ready on port ${port} in ${Date.now() - started} ms (fresh demo)`)

    const script = blocks.map((b) => b.replaceAll('localhost:3000', `localhost:${port}`)).join('\n')
    writeFileSync(join(dir, 'walkthrough.sh'), PRELUDE + script)
    writeFileSync(join(dir, 'calls.log'), '')
    for (const [i, block] of blocks.entries())
      console.log(`\n--- README "Call it", block ${i + 1}:\n${block}`)
    console.log('--- output:')
    const bash = spawn('bash', [join(dir, 'walkthrough.sh')], {
      cwd: dir,
      env: { ...process.env, WALK_DIR: dir },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const code = await new Promise((r) => bash.on('exit', (c) => r(c ?? 1)))
    console.log('\n--- end of output')
    if (code !== 0) problems.push(`the README blocks stopped with exit code ${code}`)

    const calls = readFileSync(join(dir, 'calls.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [bodyFile, status, method, url] = line.split(' ')
        const u = new URL(url)
        return {
          status: Number(status),
          method,
          path: u.pathname + u.search,
          body: readFileSync(bodyFile, 'utf8'),
        }
      })
    for (const [i, [method, path, status, check]] of STEPS.entries()) {
      const call = calls[i]
      const name = `step ${i + 1}: ${method} ${path.source.replace(/\\\//g, '/')}`
      if (!call) {
        problems.push(`${name}: never called`)
        continue
      }
      let complaint = null
      if (call.method !== method || !path.test(call.path))
        complaint = `called ${call.method} ${call.path} instead`
      else if (call.status !== status)
        complaint = `answered ${call.status}, not ${status}: ${call.body.slice(0, 300)}`
      else if (check) {
        try {
          complaint = check(call.body)
        } catch (err) {
          complaint = `unreadable answer (${err.message}): ${call.body.slice(0, 300)}`
        }
      }
      console.log(
        `${complaint ? '✗' : '✓'} ${call.status} ${call.method} ${call.path}${complaint ? `  <- ${complaint}` : ''}`,
      )
      if (complaint) problems.push(`${name}: ${complaint}`)
    }
    for (const extra of calls.slice(STEPS.length)) {
      problems.push(`an unexpected call ${extra.method} ${extra.path} (${extra.status}): add it to STEPS`)
    }
  } catch (err) {
    problems.push(err.message)
  } finally {
    await stop(server)
    writeFileSync(log, Buffer.concat(out))
  }

  if (problems.length) {
    console.error(`\nwalkthrough FAILED:\n- ${problems.join('\n- ')}\n\nnpm start's log:`)
    console.error(readFileSync(log, 'utf8').split('\n').slice(-60).join('\n'))
    rmSync(dir, { recursive: true, force: true })
    process.exit(1)
  }
  rmSync(dir, { recursive: true, force: true })
  console.log(`walkthrough: the README's "Call it" ran as written: ${STEPS.length} answers as expected`)
}

main().catch((err) => {
  console.error('walkthrough:', err)
  process.exit(1)
})
