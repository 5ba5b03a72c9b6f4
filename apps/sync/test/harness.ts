import { NodeHttpClient } from "@effect/platform-node"
import { createClient } from "@libsql/client"
import { PicaClient } from "@picasync/client"
import { MockPica } from "@picasync/mock"
import { Duration, Effect, Layer, Redacted, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { constants as osConstants, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import { PicaSync } from "../src/PicaSync.js"
import * as Source from "../src/Source.js"
import { testCliBin, testCliCodeCache } from "./cliBundle.js"
import { emptySqld } from "./Sqld.js"

export type MockOptions = Parameters<typeof MockPica.start>[0]

/**
 * The realistic mock (null fields, hidden rows, the 60-second limiter, real error bodies) with ties in
 * a fixed order, so a sync sends the same requests every time: the real server may order rows of equal
 * `createdAt` differently on each request, and a tie across a page boundary costs re-reads
 * (`TieRescan`). `Scan.test.ts` meets shuffled ties.
 */
export const startMock = (options: MockOptions = {}) => MockPica.start({ shuffleTies: false, ...options })

/** The environment that points a CLI command at `mock`, as an operator's shell would. */
export const apiEnv = (mock: MockPica.MockPicaServer) => ({ PICA_SECRET_KEY: mock.secret, PICA_BASE_URL: mock.url })

/** A fresh directory for the test's database files, removed with the scope. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "picasync-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** A libSQL file in a fresh temp directory. */
export const tempDatabase = Effect.map(tempDir, (dir) => `file:${join(dir, "mirror.db")}`)

/** The URL of a fresh, empty database, gone with the scope. */
export type Database = Effect.Effect<string, never, Scope.Scope>

/**
 * Where a suite's mirrors live: run the same tests over each with `describe.each(backends)("… over $name", …)`.
 * Over sqld, the test file's one server, emptied for each test (`emptySqld`). A server's every test still ends at
 * vitest's `testTimeout`: the test's signal interrupts it, and the next test empties what it left.
 */
export const backends: ReadonlyArray<{ readonly name: string; readonly database: Database }> = [
  { name: "file", database: tempDatabase },
  { name: "sqld", database: Effect.map(emptySqld(), (server) => server.url) }
]

/** Plain SQL against the test database, on a connection of its own. */
export const sqlClient = (url: string) =>
  Effect.acquireRelease(Effect.sync(() => createClient({ url })), (client) => Effect.sync(() => client.close()))

export const rows = <A = Record<string, unknown>>(url: string, sql: string, args: ReadonlyArray<string | number> = []) =>
  Effect.scoped(
    Effect.flatMap(sqlClient(url), (client) =>
      Effect.promise(() => client.execute({ sql, args: [...args] })).pipe(
        Effect.map((result) => result.rows.map((row) => ({ ...row }) as A))
      ))
  )

export const count = (url: string, sql: string, args: ReadonlyArray<string | number> = []) =>
  Effect.map(rows<{ n: number }>(url, `SELECT count(*) AS n FROM (${sql})`, args), ([row]) => Number(row!.n))

/** The runs' staging tables left in the mirror (`staged_run_N`), with the rows each holds. */
export const stagingTables = (url: string) =>
  Effect.flatMap(
    rows<{ name: string }>(url, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'staged\\_run\\_%' ESCAPE '\\'"),
    (tables) =>
      Effect.forEach(tables, ({ name }) =>
        count(url, `SELECT 1 FROM "${name}"`).pipe(
          // A sync may drop the table between the two reads: it then holds nothing.
          Effect.catchAllDefect(() => Effect.succeed(0)),
          Effect.map((staged) => ({ name, staged }))
        ))
  )

/** Rows staged in every staging table left. */
export const stagedRows = (url: string) =>
  Effect.map(stagingTables(url), (tables) => tables.reduce((total, table) => total + table.staged, 0))

const mirrorTables = ["connections", "connection_tags", "connection_changes"] as const

/**
 * Counts every row written to the mirror's tables from now on, with triggers: the proof that a
 * sync rewrote nothing, stronger than the run's own counts. Read it with `mirrorWrites`.
 */
export const countMirrorWrites = (url: string) =>
  Effect.scoped(Effect.flatMap(sqlClient(url), (client) =>
    Effect.promise(() =>
      client.executeMultiple([
        "CREATE TABLE test_writes (n INTEGER NOT NULL); INSERT INTO test_writes VALUES (0);",
        ...mirrorTables.flatMap((table) =>
          ["INSERT", "UPDATE", "DELETE"].map((event) =>
            `CREATE TRIGGER test_${table}_${event} AFTER ${event} ON ${table} BEGIN UPDATE test_writes SET n = n + 1; END;`
          )
        )
      ].join("\n"))
    )))

export const mirrorWrites = (url: string) =>
  Effect.map(rows<{ n: number }>(url, "SELECT n FROM test_writes"), ([row]) => Number(row!.n))

/** Every row of the three mirror tables, to compare before and after a failed run. */
export const mirrorSnapshot = (url: string) =>
  Effect.all(mirrorTables.map((table) => rows(url, `SELECT * FROM ${table} ORDER BY 1, 2, 3`)))

/**
 * Runs that contradict `connection_changes`: a run with changes not recorded as succeeded, or a succeeded
 * run whose counts are not its changes. Empty when the run log agrees with the mirror.
 */
export const runLogContradictions = (url: string) =>
  rows<{ id: number; status: string; recorded: string; logged: string }>(
    url,
    `SELECT r.id, r.status,
      r.inserted || '/' || r.updated || '/' || r.deleted || '/' || r.restored AS recorded,
      coalesce(sum(c.kind = 'inserted'), 0) || '/' || coalesce(sum(c.kind = 'updated'), 0) || '/' ||
        coalesce(sum(c.kind = 'deleted'), 0) || '/' || coalesce(sum(c.kind = 'restored'), 0) AS logged
    FROM sync_runs r LEFT JOIN connection_changes c ON c.run_id = r.id
    GROUP BY r.id
    HAVING (r.status = 'succeeded' AND recorded <> logged) OR (r.status <> 'succeeded' AND count(c.id) > 0)`
  )

export interface SyncSetup {
  readonly mock: MockPica.MockPicaServer
  readonly url: string
  readonly secret?: string
  /** Default: the mock's. */
  readonly baseUrl?: string
  readonly source?: string
  readonly maxRetries?: number
  readonly retryFor?: Duration.DurationInput
  readonly concurrency?: number
  readonly wait?: boolean
  /** Default 100; `adaptive`: none given, as the CLI without `--page-size`. */
  readonly pageSize?: number | "adaptive"
  readonly requestTimeout?: Duration.DurationInput
  /** `--db-timeout`. */
  readonly dbTimeout?: Duration.DurationInput
}

/** The mirror at `url`, migrated, as a command that writes opens it. */
export const mirrorLayer = (url: string, timeout?: Duration.DurationInput) =>
  MirrorDatabase.layerMigrated({ url, ...(timeout === undefined ? {} : { timeout }) })

/** One sync, as the CLI runs it: its own database handle and client, fast retries. */
export const sync = (setup: SyncSetup) => {
  const pageSize = setup.pageSize === "adaptive" ? undefined : setup.pageSize ?? 100
  return Effect.flatMap(PicaSync, (engine) => engine.run({ wait: setup.wait ?? false })).pipe(
    Effect.provide(PicaSync.layer({
      source: setup.source ?? Source.fromSecret(Redacted.make(setup.secret ?? setup.mock.secret)),
      concurrency: setup.concurrency ?? 4,
      pageSize
    }).pipe(Layer.provide(Layer.mergeAll(
      mirrorLayer(setup.url, setup.dbTimeout),
      PicaClient.layer({
        secretKey: Redacted.make(setup.secret ?? setup.mock.secret),
        baseUrl: setup.baseUrl ?? setup.mock.url,
        maxRetries: setup.maxRetries ?? 2,
        retryBaseDelay: Duration.millis(1),
        retryMaxDelay: Duration.millis(5),
        pageSize,
        ...(setup.retryFor === undefined ? {} : { retryFor: setup.retryFor }),
        ...(setup.requestTimeout === undefined ? {} : { requestTimeout: setup.requestTimeout })
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    ))))
  )
}

/** The mock's ground truth as `id → row`. */
export const truth = (mock: MockPica.MockPicaServer): Effect.Effect<Map<string, Record<string, unknown>>> =>
  Effect.map(mock.inventory, (inventory) => new Map(inventory.map((row) => [row.id, row])))

/** Live mirror rows of `source` as `id → raw row`, read a page at a time (sqld refuses responses over 10 MB). */
export const mirrored = (url: string, source = "test") =>
  Effect.gen(function*() {
    const live = new Map<string, Record<string, unknown>>()
    let after = ""
    while (true) {
      const page = yield* rows<{ id: string; raw: string }>(
        url,
        "SELECT id, raw FROM connections WHERE source = ? AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT 5000",
        [source, after]
      )
      for (const row of page) live.set(row.id, JSON.parse(row.raw) as Record<string, unknown>)
      if (page.length < 5000) return live
      after = page[page.length - 1]!.id
    }
  })

/** A mock with `count` connections, a `database` (default a file) holding its first sync, and the ids of its active, tagged rows. */
export const synced = (
  count: number,
  seed = 1,
  { database = tempDatabase, ...options }: MockOptions & { readonly database?: Database } = {}
) =>
  Effect.gen(function*() {
    const mock = yield* startMock({ count, seed, ...options })
    const url = yield* database
    yield* sync({ mock, url })
    const activeWithTags = (yield* mock.inventory).filter((row) => row.active && Array.isArray(row.tags))
    return { mock, url, ids: activeWithTags.map((row) => row.id) }
  })

/** Polls `condition` in real time until it holds (a failing check counts as not yet); dies after `seconds`. */
export const waitFor = (what: string, condition: Effect.Effect<boolean>, seconds = 20) =>
  Effect.gen(function*() {
    const deadline = Date.now() + seconds * 1000
    const check = Effect.catchAllCause(condition, () => Effect.succeed(false))
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for ${what}`)
      yield* Effect.sleep(Duration.millis(20))
    }
  })

const appDir = fileURLToPath(new URL("..", import.meta.url))

export interface CliProcess {
  readonly child: ChildProcess
  /** The exit code, or 128 + the signal's number when a signal ended it. */
  readonly exitCode: Effect.Effect<number>
  readonly stdout: () => string
  readonly stderr: () => string
}


const shellQuoted = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`

/**
 * Runs `picasync …args` in a child process, with only `env` set; killed with the scope. It runs the bin
 * `globalSetup` built from the sources, a tenth of the CPU of a start through tsx; `sources` runs
 * `src/bin.ts` through tsx instead, for a test that watches which modules load; `terminal` runs it on a
 * terminal (`script`). `uid` runs it as another user (the tests run as root, whom file permissions do not stop).
 */
export const spawnCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: { readonly uid?: number; readonly sources?: boolean; readonly terminal?: boolean; readonly bin?: string } = {}
) =>
  Effect.acquireRelease(
    Effect.sync((): CliProcess => {
      const entry = options.sources === true ? ["--conditions=@picasync/source", "--import", "tsx", "src/bin.ts"] : [options.bin ?? testCliBin]
      const command = [process.execPath, ...entry, ...args]
      // `script` gives the CLI a terminal of its own; what it draws there comes back on stdout.
      const [file, argv] = options.terminal === true
        ? ["script", ["-qec", command.map(shellQuoted).join(" "), "/dev/null"]]
        : [process.execPath, command.slice(1)]
      const child = spawn(file, argv, {
        cwd: appDir,
        env: { PATH: process.env.PATH ?? "", PICASYNC_CACHE_DIR: testCliCodeCache, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid })
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += chunk))
      child.stderr.on("data", (chunk) => (stderr += chunk))
      const exited = new Promise<number>((resolve) =>
        child.once("exit", (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : osConstants.signals[signal])))
      )
      return { child, exitCode: Effect.promise(() => exited), stdout: () => stdout, stderr: () => stderr }
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** What the lock holder prints once it holds the lock. */
const holding = "holding the lock"

/**
 * Another process holding the database: `write` a write transaction (readers go on, writers wait),
 * `exclusive` an exclusive lock no one else can even read through. Released after `millis`.
 * `locked` waits until it holds the lock, and dies with the holder's error if it could not take it.
 * In WAL mode `exclusive` needs every other connection to the file gone, and libSQL frees a closed
 * connection that prepared a statement only when it is garbage-collected: so no connection of the
 * test's own process may have opened the file first (see the storage test).
 */
export const holdDatabase = (url: string, mode: "write" | "exclusive", millis: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const take = mode === "exclusive"
        ? `await client.execute("PRAGMA locking_mode = EXCLUSIVE"); const tx = await client.transaction("write"); await tx.execute("UPDATE sync_runs SET id = id")`
        : `const tx = await client.transaction("write")`
      const script = `import { createClient } from "@libsql/client"
const client = createClient({ url: ${JSON.stringify(url)}, timeout: 10_000 })
${take}
console.log("${holding}")
setTimeout(() => tx.rollback().then(() => process.exit(0)), ${millis})`
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: appDir })
      let out = ""
      child.stdout.on("data", (chunk) => (out += chunk))
      child.stderr.on("data", (chunk) => (out += chunk))
      // A line of its own: the holder's own failure says "database is locked".
      const holds = () => out.split("\n").includes(holding)
      const locked = Effect.async<void>((resume) => {
        let settled = false
        const settle = (effect: Effect.Effect<void>) => {
          if (settled) return
          settled = true
          resume(effect)
        }
        const check = () => holds() && settle(Effect.void)
        child.stdout.on("data", check)
        child.once("exit", (code) => {
          check()
          const error = out.split("\n").find((line) => /Error:/.test(line)) ?? out.trim()
          settle(Effect.dieMessage(`the process meant to lock the database exited (${code}) without the lock: ${error}`))
        })
        check()
      })
      return { child, locked, output: () => out }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )
