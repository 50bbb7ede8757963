import type { FastifyInstance } from 'fastify'

/**
 * Runs `job` inside the server every `intervalMs`, and once at start with `atStart`. One run at a time per process
 * (a tick that finds the previous run still going is skipped); the timer is unref'd, so it never keeps a process
 * alive; a failure is logged as "`what` failed" and the job runs again at the next tick; app.close() stops the
 * timer and waits for a run in progress. Call before the app is ready (it adds an onClose hook). The jobs that use
 * it are safe in any number of processes on their own (the sweep SKIP LOCKED, the fold an advisory lock): this
 * only paces one process.
 */
export function startPeriodic(
  app: FastifyInstance,
  what: string,
  job: () => Promise<void>,
  opts: { intervalMs: number; atStart?: boolean },
): { runNow: () => void } {
  let running: Promise<void> | undefined
  let stopped = false
  const run = () => {
    if (running || stopped) return
    running = job()
      .catch((err) => app.log.error({ err }, `${what} failed; it runs again at the next interval`))
      .finally(() => {
        running = undefined
      })
  }
  if (opts.atStart) run()
  const timer = setInterval(run, opts.intervalMs)
  timer.unref()
  app.addHook('onClose', async () => {
    stopped = true
    clearInterval(timer)
    await running
  })
  return { runNow: run }
}
