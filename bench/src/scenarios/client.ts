import * as path from "node:path"
import { medianOf, number, rate, ratio, seconds } from "../Figures.js"
import * as Mock from "../Mock.js"
import { measure } from "../Processes.js"
import type { Report } from "../Report.js"
import { RUNS, sizes, tools } from "../Settings.js"
import { apiEnv } from "../Sync.js"

/** Scenario 5: the client's stream alone, beside bare `fetch` and `JSON.parse` of the same pages. */
export const clientAlone = async (report: Report) => {
  const mock = await Mock.start(sizes.client)
  for (const concurrency of [1, 4]) {
    process.stderr.write(`client alone, concurrency ${concurrency}: warm-up and ${RUNS} passes in one process\n`)
    const measured = await measure(process.execPath, [path.join(tools, "client.mjs"), String(concurrency), String(RUNS)], apiEnv(mock))
    const result = JSON.parse(measured.stdout) as Record<"client" | "bare", Array<{ rows: number; ms: number }>>
    const clientMs = medianOf(result.client, (r) => r.ms)
    const bareMs = medianOf(result.bare, (r) => r.ms)
    const count = medianOf(result.client, (r) => r.rows)
    report.row(
      `5. client alone: \`streamConnections\`, both listings, ${number.format(count)} rows, concurrency ${concurrency}`,
      `${rate(count, clientMs)} (${seconds(clientMs)})`,
      `bare \`fetch\` + \`JSON.parse\`, no validation: ${rate(count, bareMs)}`,
      ratio(clientMs / bareMs)
    )
  }
  await Mock.stop(mock)
}
