/**
 * Issue 29's query scenarios: `picasync query "select * from connections"` in every format beside the
 * sqlite3 shell (`-json`, `-csv`) on the same file, in the same run; wall time and peak RSS, medians of
 * `RUNS` runs after a warm-up (one run each at the larger size), with CPU time beside (GNU time), which
 * a loaded machine disturbs less. Prints a Markdown table and the goals.
 *
 *   pnpm build && tsx bench/query.ts [--quick], from the repository root
 *
 * The mirror is synced from the mock at the smaller size, then multiplied in SQL (ids suffixed) to the
 * larger one, which a sync would take minutes to build. Output goes to a pipe that only counts it.
 */
import { createClient } from "@libsql/client"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const quick = process.argv.includes("--quick")
const root = fileURLToPath(new URL("../", import.meta.url))
const cli = path.join(root, "apps/sync/dist/bin.js")
const mockBin = path.join(root, "packages/mock/dist/bin.js")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "picasync-bench-query-"))
const RUNS = 3
const sizes = quick ? { base: 10_000, scale: 100_000 } : { base: 100_000, scale: 1_000_000 }
const sql = "select * from connections"
const formats = ["json", "ndjson", "csv", "table"] as const
/** The shell's mode each format is compared with; a table has none. */
const shellMode: Record<(typeof formats)[number], string | undefined> = { json: "-json", ndjson: "-json", csv: "-csv", table: undefined }
const MAX_RATIO = 2
const MAX_RSS_MIB = 150

interface Run {
  readonly ms: number
  /** User and system CPU time: on a loaded machine a fairer comparison than wall time. */
  readonly cpuMs: number | undefined
  /** Peak RSS, MiB. */
  readonly rssMiB: number | undefined
  readonly bytes: number
}

/** GNU time reports the CPU time and peak RSS of any command, the shell's as well as Node's. */
const hasTime = fs.existsSync("/usr/bin/time")

/** Runs a command to its end, its output counted, never held (it is hundreds of MB): wall and CPU time, peak RSS, bytes. */
const measure = (command: string, args: ReadonlyArray<string>) =>
  new Promise<Run>((resolve, reject) => {
    const usageFile = path.join(work, `usage-${process.hrtime.bigint()}`)
    const [file, argv] = hasTime ? ["/usr/bin/time", ["-f", "%U %S %M", "-o", usageFile, command, ...args]] : [command, args]
    const start = performance.now()
    const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"] })
    let bytes = 0
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (bytes += chunk.length))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.once("close", (code) => {
      const ms = performance.now() - start
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited ${code}\n${stderr.slice(-2000)}`))
      const usage = fs.existsSync(usageFile) ? fs.readFileSync(usageFile, "utf8").trim().split(/\s+/).map(Number) : []
      fs.rmSync(usageFile, { force: true })
      const [user, system, rssKiB] = usage
      resolve({
        ms,
        cpuMs: user === undefined || system === undefined ? undefined : (user + system) * 1000,
        rssMiB: rssKiB === undefined ? undefined : rssKiB / 1024,
        bytes
      })
    })
  })

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The median run by wall time, after a warm-up, of `runs` runs. */
const repeat = async (label: string, once: () => Promise<Run>, runs: number): Promise<Run> => {
  process.stderr.write(`${label}:`)
  if (runs > 1) await once()
  const results: Array<Run> = []
  for (let run = 0; run < runs; run++) {
    results.push(await once())
    process.stderr.write(` ${Math.round(results.at(-1)!.ms)} ms`)
  }
  process.stderr.write("\n")
  const ms = median(results.map((r) => r.ms))
  return {
    ...results.find((r) => r.ms === ms)!,
    ms,
    cpuMs: median(results.map((r) => r.cpuMs ?? 0)),
    rssMiB: median(results.map((r) => r.rssMiB ?? 0))
  }
}

/** A mirror of `count` connections synced from the mock in its own process. */
const syncedMirror = async (count: number) => {
  const file = path.join(work, `mirror-${count}.db`)
  const mock = spawn(process.execPath, [mockBin, "--port", "0", "--count", String(count), "--no-limiter"], { stdio: ["ignore", "pipe", "inherit"] })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ""
      mock.stdout.on("data", (chunk) => {
        out += chunk
        const found = /listening on (http:\/\/\S+)/.exec(out)?.[1]
        if (found !== undefined) resolve(found)
      })
      mock.once("exit", (code) => reject(new Error(`the mock exited (${code}) before listening`)))
    })
    execFileSync(process.execPath, [cli, "sync", "--db", file, "--concurrency", "4", "--page-size", "100"], {
      env: { ...process.env, PICA_BASE_URL: url, PICA_SECRET_KEY: "sk_test_mock_0000000000000000" },
      stdio: ["ignore", "ignore", "inherit"]
    })
  } finally {
    mock.kill("SIGKILL")
  }
  return file
}

/** `base` copied and its connections multiplied by `times` in SQL, each copy's ids suffixed. */
const multiplied = async (base: string, times: number) => {
  const file = path.join(work, `mirror-x${times}.db`)
  fs.copyFileSync(base, file)
  const db = createClient({ url: `file:${file}` })
  const columns = (await db.execute("select name from pragma_table_info('connections')")).rows.map((row) => String(row.name))
  const copied = columns.map((column) => (column === "id" ? "c.id || '-' || k.n" : `c.${column}`)).join(", ")
  await db.execute(`insert into connections (${columns.join(", ")})
    with recursive k(n) as (select 1 union all select n + 1 from k where n < ${times - 1})
    select ${copied} from connections c, k`)
  db.close()
  return file
}

const number = new Intl.NumberFormat("en-US")
const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`)
const mib = (value: number | undefined) => (value === undefined ? "n/a" : `${Math.round(value)} MiB`)
const cpu = (run: Run) => (run.cpuMs === undefined ? "" : ` (CPU ${seconds(run.cpuMs)})`)

const rows: Array<string> = []
const goals: Array<string> = []

/** The ratio goal is the base size's; the RSS goal holds at both. */
const scenario = async (file: string, count: number, runs: number, judgeRatio: boolean) => {
  const shell: Record<string, Run> = {}
  for (const mode of ["-json", "-csv"]) shell[mode] = await repeat(`sqlite3 ${mode}, ${number.format(count)}`, () => measure("sqlite3", [mode, file, sql]), runs)
  for (const format of formats) {
    const ours = await repeat(`picasync query --format ${format}, ${number.format(count)}`, () =>
      measure(process.execPath, [cli, "query", sql, "--db", file, "--format", format]), runs)
    const mode = shellMode[format]
    const reference = mode === undefined ? undefined : shell[mode]!
    const ratio = reference === undefined ? undefined : ours.ms / reference.ms
    const cpuRatio = reference?.cpuMs === undefined || ours.cpuMs === undefined ? undefined : ours.cpuMs / reference.cpuMs
    rows.push(
      `| \`select * from connections\`, ${number.format(count)} rows, --format ${format} | ${seconds(ours.ms)}${cpu(ours)} · peak RSS ${
        mib(ours.rssMiB)
      } · ${number.format(ours.bytes)} bytes | ${
        reference === undefined ? "—" : `sqlite3 ${mode}: ${seconds(reference.ms)}${cpu(reference)} · peak RSS ${mib(reference.rssMiB)}`
      } | ${ratio === undefined ? "—" : `${ratio.toFixed(2)}x${cpuRatio === undefined ? "" : ` (CPU ${cpuRatio.toFixed(2)}x)`}`} |`
    )
    if (ratio !== undefined && judgeRatio) {
      goals.push(`${format} within ${MAX_RATIO}x of sqlite3 ${mode} at ${number.format(count)}: ${ratio.toFixed(2)}x, ${ratio <= MAX_RATIO ? "**met**" : "**not met**"}`)
    }
    goals.push(`${format} peak RSS under ${MAX_RSS_MIB} MiB at ${number.format(count)}: ${mib(ours.rssMiB)}, ${(ours.rssMiB ?? 0) < MAX_RSS_MIB ? "**met**" : "**not met**"}`)
  }
}

const main = async () => {
  if (!fs.existsSync(cli) || !fs.existsSync(mockBin)) throw new Error("run `pnpm build` first")
  execFileSync("sh", ["-c", "command -v sqlite3"], { stdio: "ignore" })
  const base = await syncedMirror(sizes.base)
  const count = (file: string) => Number(execFileSync("sqlite3", [file, "select count(*) from connections"]).toString().trim())
  await scenario(base, count(base), RUNS, true)
  const scaled = await multiplied(base, sizes.scale / sizes.base)
  await scenario(scaled, count(scaled), 1, false)
  process.stdout.write([
    `Query scenarios (issue 29)${quick ? " — quick mode" : ""}, medians of ${RUNS} runs after a warm-up at ${number.format(sizes.base)}, one run at ${
      number.format(sizes.scale)
    }; wall time from spawn to exit, load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`,
    "",
    "| scenario | picasync | sqlite3 shell (same file, same run) | ratio |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    ...goals.map((goal) => `- ${goal}`),
    ""
  ].join("\n"))
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`\nthe query bench failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }))
