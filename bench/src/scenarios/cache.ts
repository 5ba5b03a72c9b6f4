import * as path from "node:path"
import { medianOf, number, ratio, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, measure, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { RUNS, sizes, tools } from "../Settings.js"
import { apiEnv, sync } from "../Sync.js"

interface Timed {
  readonly rows: number
  readonly ms: number
}

interface CacheFigures {
  readonly lists: ReadonlyArray<{ readonly params: Record<string, unknown>; readonly total: number; readonly ms: number }>
  readonly streams: Record<"mirror" | "live1" | "live4", ReadonlyArray<Timed>>
}

const LIST_GOAL_MS = 5
const STREAM_GOAL = 10

/** Scenario 10: the sync cache (issue 22): listings and a full stream from a synced mirror, beside the same stream from the mock. */
export const cache = async (report: Report) => {
  const mock = await Mock.start(sizes.cache)
  const db = freshDatabase()
  process.stderr.write(`cache: a mirror of ${number.format(sizes.cache)} connections, then its listings and streams in one process\n`)
  await sync(mock, db.url)
  const measured = await measure(process.execPath, [path.join(tools, "cache.mjs"), db.url, String(RUNS)], apiEnv(mock))
  await Mock.stop(mock)
  removeDatabase(db.file)
  const figures = JSON.parse(measured.stdout) as CacheFigures
  for (const { ms, params, total } of figures.lists) {
    report.row(
      `11. cache: \`listConnections(${JSON.stringify(params)})\` from a ${number.format(sizes.cache)}-connection mirror (${number.format(total)} match)`,
      `${ms.toFixed(2)} ms (median of 50)`,
      "—",
      "—"
    )
  }
  const [first] = figures.lists
  if (first === undefined) throw new Error(`cache: the measuring script timed no listing: ${measured.stdout}`)
  report.goal(
    `\`listConnections(${JSON.stringify(first.params)})\` from the mirror at most ${LIST_GOAL_MS} ms: ${first.ms.toFixed(2)} ms, ${
      verdict(first.ms <= LIST_GOAL_MS)
    }`
  )
  const mirrorMs = medianOf(figures.streams.mirror, (r) => r.ms)
  const live1Ms = medianOf(figures.streams.live1, (r) => r.ms)
  const live4Ms = medianOf(figures.streams.live4, (r) => r.ms)
  const rows = medianOf(figures.streams.mirror, (r) => r.rows)
  report.row(
    `11. cache: full \`streamConnections()\`, ${number.format(rows)} rows, from the mirror`,
    seconds(mirrorMs),
    `the mock at zero latency: ${seconds(live1Ms)} (concurrency 1), ${seconds(live4Ms)} (concurrency 4)`,
    ratio(mirrorMs / live1Ms)
  )
  report.goal(
    `A full \`streamConnections()\` from the mirror at least ${STREAM_GOAL}x faster than from the mock at zero latency: ${
      (live1Ms / mirrorMs).toFixed(1)
    }x faster (concurrency 1), ${(live4Ms / mirrorMs).toFixed(1)}x (concurrency 4), ${verdict(live1Ms / mirrorMs >= STREAM_GOAL)}`
  )
}
