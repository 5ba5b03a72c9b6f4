import { medianOf, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, measure, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { cli, STARTUP_RUNS } from "../Settings.js"
import { sync } from "../Sync.js"

/** Scenario 6: `--version` and a query of a small mirror, beside a bare Node start. */
export const startup = async (report: Report) => {
  const database = freshDatabase()
  const mock = await Mock.start(100)
  await sync(mock, database.url)
  await Mock.stop(mock)
  const results: Array<[string, ReadonlyArray<string>, number]> = [
    ["picasync --version", [cli, "--version"], 150],
    [`picasync query "select 1"`, [cli, "query", "select 1", "--db", database.file], 250]
  ]
  const bare = await repeat("bare node start-up", () => measure(process.execPath, ["-e", "0"]), STARTUP_RUNS)
  const bareMs = medianOf(bare, (r) => r.ms)
  for (const [label, args, goalMs] of results) {
    const runs = await repeat(label, () => measure(process.execPath, args), STARTUP_RUNS)
    const ms = medianOf(runs, (r) => r.ms)
    report.row(`6. CLI start-up: \`${label}\` (median of ${STARTUP_RUNS})`, seconds(ms), `\`node -e 0\`: ${seconds(bareMs)}`, ratio(ms / bareMs))
    report.goal(`CLI start-up under ${goalMs} ms (median of ${STARTUP_RUNS}): \`${label}\` ${seconds(ms)}, ${verdict(ms < goalMs)}`)
  }
  removeDatabase(database.file)
}
