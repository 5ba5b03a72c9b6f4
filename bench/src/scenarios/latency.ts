import { medianOf, number, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { concurrencies, LATENCY_MS, sizes } from "../Settings.js"
import { summary, sync } from "../Sync.js"

/** Scenario 3: a mock that answers each request after 50 ms, synced at each concurrency, beside pages x latency / concurrency. */
export const latencyBound = async (report: Report) => {
  const mock = await Mock.start(sizes.latency, ["--latency", String(LATENCY_MS)])
  const results: Array<{ concurrency: number; ms: number; runMs: number; bound: number }> = []
  for (const concurrency of concurrencies) {
    const runs = await repeat(`latency-bound ${number.format(sizes.latency)}, concurrency ${concurrency}`, async () => {
      const db = freshDatabase()
      const measured = await sync(mock, db.url, concurrency)
      removeDatabase(db.file)
      return { measured, summary: summary(measured.stdout) }
    })
    const pages = medianOf(runs, (r) => r.summary.pages)
    const bound = (pages * LATENCY_MS) / concurrency
    const ms = medianOf(runs, (r) => r.measured.ms)
    const runMs = medianOf(runs, (r) => r.summary.runMs)
    results.push({ concurrency, ms, runMs, bound })
    report.row(
      `3. latency-bound: ${number.format(sizes.latency)} connections, ${LATENCY_MS} ms a request, concurrency ${concurrency}`,
      `${seconds(ms)} (the run itself: ${seconds(runMs)})`,
      `${number.format(pages)} pages x ${LATENCY_MS} ms / ${concurrency} = ${seconds(bound)}`,
      `${ratio(ms / bound)} (run: ${ratio(runMs / bound)})`
    )
  }
  await Mock.stop(mock)
  const at8 = results.find((r) => r.concurrency === 8)
  if (at8 === undefined) return
  report.goal(
    `Latency-bound at concurrency 8 within 1.6x of pages x latency / concurrency for the whole process: ` +
      `${ratio(at8.ms / at8.bound)} for the whole process (start-up included), ${ratio(at8.runMs / at8.bound)} ` +
      `for the run as \`sync_runs\` times it, ${verdict(at8.ms / at8.bound <= 1.6)}`
  )
}
