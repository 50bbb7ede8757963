import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

export interface Proc {
  name: string
  url: string
  child: ChildProcess
  /** Peak resident set size (VmHWM) in MiB, read from /proc while the process lives. */
  peakRssMb(): number
  /** CPU time (user + system) the process has used so far, in microseconds, from /proc. */
  cpuMicros(): number
  stop(): Promise<void>
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on Linux for x86 and ARM. */
const CLOCK_TICKS = 100

/**
 * CPU microseconds a process spends per request answered during `run`: steadier than requests per second on
 * a shared machine, since time the process waits for a core does not count.
 */
export async function withCpu(proc: Proc, run: () => Promise<Sample>): Promise<Sample> {
  const before = proc.cpuMicros()
  const sample = await run()
  return { ...sample, cpuUsPerRequest: (proc.cpuMicros() - before) / Math.max(1, sample.total) }
}

/** Starts a Node process pinned to one core (taskset), waits until `readyPath` answers 200. */
export async function startPinned(
  name: string,
  script: string,
  env: Record<string, string>,
  opts: { cpu: number; port: number; readyPath?: string; nodeArgs?: string[]; tsx?: boolean },
): Promise<Proc> {
  const loader = opts.tsx === false ? [] : ['--import', 'tsx']
  const args = ['-c', String(opts.cpu), process.execPath, ...loader, ...(opts.nodeArgs ?? []), script]
  const child = spawn('taskset', args, {
    env: { ...process.env, ...env, PORT: String(opts.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-4000)
  })
  const url = `http://127.0.0.1:${opts.port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited early: ${stderr}`)
    try {
      const r = await fetch(url + (opts.readyPath ?? '/healthz'))
      if (r.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${stderr}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    name,
    url,
    child,
    peakRssMb() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
        // taskset execs node in place, so the pid is node's.
        const m = status.match(/VmHWM:\s+(\d+) kB/)
        return m ? Number(m[1]) / 1024 : Number.NaN
      } catch {
        return Number.NaN
      }
    },
    cpuMicros() {
      // Fields 14 and 15 of /proc/<pid>/stat (after the command name in parentheses): utime, stime in ticks.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS
    },
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    },
  }
}

export interface Sample {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  /** Requests answered in the whole run. */
  total: number
  /** Set by withCpu: the process's CPU time per request answered, in microseconds. */
  cpuUsPerRequest?: number
}

export interface LoadSpec {
  url: string
  connections: number
  seconds: number
  /** Fixed offered rate (requests per second over all connections); saturation when unset. */
  rate?: number
  /** Exactly this many requests, then stop (instead of running for `seconds`). */
  amount?: number
  requests: autocannon.Request[]
  headers?: Record<string, string>
}

export async function load(spec: LoadSpec): Promise<Sample> {
  // The first few refusals are printed: a figure measured on errors is no figure, and the count alone
  // does not say what went wrong.
  const failures: string[] = []
  const requests = spec.requests.map((req) => ({
    ...req,
    onResponse: (status: number, body: string, context: Record<string, unknown>, headers: unknown) => {
      if (status >= 400 && failures.length < 3) {
        failures.push(
          `${status} ${req.method ?? 'GET'} ${req.path ?? '(set per request)'}: ${body.slice(0, 300)}`,
        )
      }
      ;(req.onResponse as ((...a: unknown[]) => void) | undefined)?.(status, body, context, headers)
    },
  }))
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.seconds }),
    overallRate: spec.rate,
    headers: spec.headers,
    requests: requests as autocannon.Request[],
  })
  for (const f of failures) console.warn(`refused during the load on ${spec.url}: ${f}`)
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  }
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}

/** Runs A and B alternately (A B A B ...) so slow drift of a shared machine hits both alike. */
export async function interleaved(
  repeats: number,
  a: () => Promise<Sample>,
  b: () => Promise<Sample>,
): Promise<{ a: Sample[]; b: Sample[] }> {
  const out = { a: [] as Sample[], b: [] as Sample[] }
  for (let i = 0; i < repeats; i++) {
    out.a.push(await a())
    out.b.push(await b())
  }
  return out
}

export function summarise(label: string, real: Sample[], base: Sample[] | undefined) {
  const ratios = base ? real.map((r, i) => r.rps / base[i]!.rps) : []
  return {
    label,
    rps: median(real.map((s) => s.rps)),
    rpsMin: Math.min(...real.map((s) => s.rps)),
    rpsMax: Math.max(...real.map((s) => s.rps)),
    p50: median(real.map((s) => s.p50)),
    p99: median(real.map((s) => s.p99)),
    errors: real.reduce((n, s) => n + s.errors + s.non2xx, 0),
    baselineRps: base ? median(base.map((s) => s.rps)) : undefined,
    ratio: base ? median(ratios) : undefined,
    ratios,
  }
}

/** The value after `--name` on the bench scripts' command line, or `dflt`. */
export function opt(name: string, dflt: string, args = process.argv.slice(2)): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}
