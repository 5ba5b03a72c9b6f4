/**
 * `pnpm bench`: every scenario of issues 6, 13 and 25, issue 22's cache and issue 29's query, each judged against its issue's goals,
 * each reference measured in the same run, medians of `RUNS` runs after a warm-up, written to BENCHMARKS.md at the
 * repository root. `--quick` runs the same scenarios on smaller inventories, for development;
 * `--only NAME` runs one scenario (after scenario 1, when it compares with it) and prints its report
 * instead of writing BENCHMARKS.md.
 *
 * The mock runs in its own process, so its CPU and memory are never counted as the sync's. The CLI runs
 * as a user runs it after `pnpm build`: `node apps/sync/dist/bin.js`, plain Node.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { number, rate, ratio, seconds } from "./Figures.js"
import * as Mock from "./Mock.js"
import { work } from "./Processes.js"
import { machine, render, Report } from "./Report.js"
import { cache } from "./scenarios/cache.js"
import { clientAlone } from "./scenarios/client.js"
import { fullAndNoChange } from "./scenarios/full.js"
import { latencyBound } from "./scenarios/latency.js"
import { pageSizes } from "./scenarios/pageSize.js"
import { peer } from "./scenarios/peer.js"
import { query } from "./scenarios/query.js"
import { rateLimitBound } from "./scenarios/rateLimit.js"
import { scale } from "./scenarios/scale.js"
import { startup } from "./scenarios/startup.js"
import { teamServer } from "./scenarios/team.js"
import { cli, mockBin, only, root, type ScenarioName, sizes } from "./Settings.js"

const wanted = (name: ScenarioName) => only === undefined || only === name

process.on("exit", Mock.killAll)
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130))

const main = async () => {
  const started = new Date()
  const load = machine()
  if (!fs.existsSync(cli) || !fs.existsSync(mockBin)) throw new Error("run `pnpm build` first (pnpm bench does)")
  const report = new Report()
  // Scale and the team server are judged against scenario 1's figures.
  const full = wanted("full") || wanted("scale") || wanted("team") ? await fullAndNoChange(report) : undefined
  if (wanted("latency")) await latencyBound(report)
  if (full !== undefined && wanted("scale")) await scale(report, full)
  if (wanted("client")) await clientAlone(report)
  if (wanted("startup")) await startup(report)
  if (wanted("peer")) await peer(report)
  if (full !== undefined && wanted("team")) await teamServer(report, full.fullMs)
  if (wanted("rate-limit")) await rateLimitBound(report)
  if (wanted("page-size")) await pageSizes(report)
  if (wanted("cache")) await cache(report)
  if (wanted("query")) await query(report)
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1)
  const headline = full === undefined ? undefined : `picasync mirrors ${number.format(sizes.full)} connections in ${
    seconds(full.fullMs)
  } (${rate(sizes.full, full.fullMs)}), ${ratio(full.fullMs / full.floorMs)} the time of a hand-written floor; ` +
    `an unchanged re-sync takes ${seconds(full.againMs)} and rewrites no row.`
  const text = render(report, { started, minutes, machine: load, headline })
  if (only !== undefined) return process.stdout.write(text)
  fs.writeFileSync(path.join(root, "BENCHMARKS.md"), text)
  process.stdout.write(`${headline}\nBENCHMARKS.md written (${minutes} min)\n`)
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`\npnpm bench failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
  .finally(() => {
    Mock.killAll()
    fs.rmSync(work, { recursive: true, force: true })
  })
