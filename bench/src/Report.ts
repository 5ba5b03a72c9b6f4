import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { LATENCY_MS, LIMITER, only, quick, RUNS, STARTUP_RUNS, tools } from "./Settings.js"

/** What the scenarios found: a table row per measurement, a line per goal, and what a run showed besides. */
export class Report {
  readonly rows: Array<ReadonlyArray<string>> = []
  readonly goals: Array<string> = []
  readonly notes: Array<string> = []

  row(...cells: ReadonlyArray<string>) {
    this.rows.push(cells)
  }

  goal(line: string) {
    this.goals.push(line)
  }

  note(line: string) {
    this.notes.push(line)
  }
}

/** The machine, read when the run starts: figures from another machine do not compare. */
export const machine = () => {
  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? os.cpus()[0]?.model ?? "unknown"
  return [
    `- CPU: ${cpu}, \`nproc\` ${execFileSync("nproc").toString().trim()}`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, ${os.type()} ${os.release()}`,
    `- load average when the run started: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`
  ].join("\n")
}

const command = `pnpm bench${quick ? " -- --quick" : ""}${only === undefined ? "" : ` --only ${only}`}`

/** BENCHMARKS.md: the headline, how the figures were taken, the figures, the goals, then the profiles' notes. */
export const render = (
  report: Report,
  run: { readonly started: Date; readonly minutes: string; readonly machine: string; readonly headline: string | undefined }
) =>
  [
    "# Benchmarks",
    "",
    ...(run.headline === undefined ? [] : [`**${run.headline}**`, ""]),
    `Written by \`${command}\` on ${run.started.toISOString()} in ${run.minutes} min${
      quick ? " (**quick mode**: smaller inventories; the figures are not the reference ones)" : ""
    }. Every figure is the median of ${RUNS} runs after a warm-up (start-up: ${STARTUP_RUNS}), and every ratio compares two figures measured in this same run: these machines are noisy, absolute times do not carry.`,
    "",
    "## Machine",
    "",
    run.machine,
    "",
    "## Commands",
    "",
    "```sh",
    "pnpm bench                 # pnpm build, then this whole run; pnpm bench -- --quick for a smaller one, --only NAME for one scenario",
    `node packages/mock/dist/bin.js --port 0 --count N --no-limiter [--latency ${LATENCY_MS}]   # the API, in its own process`,
    `node packages/mock/dist/bin.js --port 0 --count N --limiter ${LIMITER.limit}/${LIMITER.windowMs}ms   # rate-limit-bound; its log: GET /__admin/requests`,
    "PICA_BASE_URL=… PICA_SECRET_KEY=sk_test_mock_0000000000000000 \\",
    "  node apps/sync/dist/bin.js sync --db file:mirror.db --concurrency C --page-size 100   # timed from spawn to exit",
    "node bench/floor.mjs floor.db          # the floor: fetch + @libsql/client, one transaction",
    "node bench/client.mjs C 3              # the client alone, and bare fetch + JSON.parse",
    "node bench/cache.mjs file:mirror.db 3  # the sync cache: listings and a full stream from a mirror, beside the mock's",
    "bash bench/peer.sh peer.db             # the peer: curl | jq | sqlite-utils upsert --pk id",
    "node apps/sync/dist/bin.js --version; node apps/sync/dist/bin.js query \"select 1\" --db mirror.db",
    "```",
    "",
    "Wall time is from spawn to exit of the process. Peak RSS is `process.resourceUsage().maxRSS` of the sync's own",
    "process (`bench/maxrss.cjs`, preloaded with `--require`); the mock is another process and is not counted.",
    "",
    "## Figures",
    "",
    "| scenario | picasync | reference (same run) | ratio |",
    "| --- | --- | --- | --- |",
    ...report.rows.map((cells) => `| ${cells.join(" | ")} |`),
    "",
    "## Goals",
    "",
    ...report.goals.map((goal) => `- ${goal}`),
    ...(report.notes.length === 0 ? [] : ["", "## Observations of this run", "", ...report.notes.map((note) => `- ${note}`)]),
    "",
    fs.readFileSync(path.join(tools, "NOTES.md"), "utf8").trim(),
    ""
  ].join("\n")
