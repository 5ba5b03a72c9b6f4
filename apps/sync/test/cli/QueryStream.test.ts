import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { testCliBin, testCliCodeCache } from "../cliBundle.js"
import { tempDir } from "../harness.js"
import { fixtureMirror, fixtureMirrorIn } from "../query/fixture.js"
import { startSqld } from "../Sqld.js"

/** Rows of the large result, each with a cell of `WIDTH` characters: 160 MB of output, more than the RSS bound. */
const ROWS = 80_000
const WIDTH = 2_000
const largeOf = (rows: number) =>
  `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < ${rows}) SELECT hex(zeroblob(${WIDTH / 2})) AS pad, n FROM r`
const large = largeOf(ROWS)
/** The bound on peak RSS on a file, whatever the size of the result. */
const MAX_RSS_MIB = 150
/**
 * On a server the clients of libSQL's protocols alone take about 140 MiB (`select 1`): there the bound is
 * what `select 1` takes plus this, far below the 160 MB of rows.
 */
const SERVER_MARGIN_MIB = 64
/** What `check --assert` may take beyond `check` alone, for a result of three times as many rows. */
const CHECK_MARGIN_MIB = 160
/** A statement that never ends by itself: only a reader that goes away stops it. */
const endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"

/**
 * Lines of the output of `large` in each format: a header, rows, brackets, and a table's row count and
 * note (its `n` column was sized on the first 1,000 rows, and 10000 is wider).
 */
const lines = { csv: ROWS + 1, ndjson: ROWS, json: 4 * ROWS + 2, table: ROWS + 4 }

/** A preload that writes the process's peak RSS (KiB) to the file named by the environment when it exits. */
const rssPreload = Effect.map(tempDir, (dir) => {
  const file = join(dir, "maxrss.cjs")
  writeFileSync(
    file,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.MAXRSS_FILE, String(process.resourceUsage().maxRSS)))\n"
  )
  return { preload: file, dir }
})

/**
 * `picasync …args` with its peak RSS measured; its output is counted as it comes (bytes, lines, the
 * last few hundred characters), never held, since it is larger than the bound itself.
 */
const measured = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { dir, preload } = yield* rssPreload
    const rssFile = join(dir, "rss")
    return yield* Effect.acquireUseRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--require", preload, testCliBin, ...args], {
          env: { PATH: process.env.PATH ?? "", PICASYNC_CACHE_DIR: testCliCodeCache, MAXRSS_FILE: rssFile },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) =>
        Effect.async<{ exit: number | null; bytes: number; lines: number; tail: string; stderr: string; rssMiB: number }>(
          (resume) => {
            let bytes = 0
            let newlines = 0
            let tail = ""
            let stderr = ""
            child.stdout.on("data", (chunk: Buffer) => {
              bytes += chunk.length
              for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++
              tail = (tail + chunk.toString("latin1")).slice(-300)
            })
            child.stderr.on("data", (chunk) => (stderr += chunk))
            child.once("close", (exit) =>
              resume(Effect.sync(() => ({
                exit,
                bytes,
                lines: newlines,
                tail,
                stderr,
                rssMiB: Number(readFileSync(rssFile, "utf8")) / 1024
              }))))
          }
        ),
      (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
  })

/** `picasync …args | head -1` in bash with `pipefail`: the pipeline's status is the CLI's. */
const headOne = (args: ReadonlyArray<string>) =>
  Effect.acquireUseRelease(
    Effect.sync(() =>
      spawn("bash", ["-o", "pipefail", "-c", "\"$@\" | head -1", "bash", process.execPath, testCliBin, ...args], {
        env: { PATH: process.env.PATH ?? "", PICASYNC_CACHE_DIR: testCliCodeCache },
        stdio: ["ignore", "pipe", "pipe"]
      })
    ),
    (child) =>
      Effect.async<{ exit: number | null; stdout: string; stderr: string }>((resume) => {
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => (stdout += chunk))
        child.stderr.on("data", (chunk) => (stderr += chunk))
        child.once("close", (exit) => resume(Effect.succeed({ exit, stdout, stderr })))
      }),
    (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

/** A peak RSS the run must stay below, and how much of that bound is room for rows (what the output must exceed). */
interface Bound {
  readonly peakMiB: number
  readonly roomMiB: number
}

const fileBound: Bound = { peakMiB: MAX_RSS_MIB, roomMiB: MAX_RSS_MIB }

/** The large result in `format` completes whole, in bounded memory. */
const streamsWhole = (database: ReadonlyArray<string>, format: keyof typeof lines, bound = fileBound) =>
  Effect.gen(function*() {
    const run = yield* measured(["query", large, ...database, "--format", format])
    assert.strictEqual(run.exit, 0, run.stderr)
    assert.strictEqual(run.stderr, "")
    assert.strictEqual(run.lines, lines[format], format)
    // A table cuts its cells; it is its rows a table once held whole.
    if (format !== "table") assert.isAbove(run.bytes, bound.roomMiB * 1024 * 1024, `${format}: the output is larger than the room`)
    assert.include(run.tail, format === "table" ? `(${ROWS} rows)` : String(ROWS), `${format}: the last row came`)
    if (format === "table") assert.include(run.tail, "(values wider than their column after the first 1000 rows, in: n)")
    assert.isBelow(run.rssMiB, bound.peakMiB, `${format}: peak RSS`)
  })

/** `| head -1` ends a statement that would never end by itself: exit 0, the first line, nothing on stderr. */
const endsAtHead = (database: ReadonlyArray<string>, format: "csv" | "ndjson") =>
  Effect.gen(function*() {
    const run = yield* headOne(["query", endless, ...database, "--format", format])
    assert.deepStrictEqual(run, { exit: 0, stdout: format === "csv" ? "n\r\n" : "{\"n\":1}\n", stderr: "" })
  })

describe("picasync query streams its rows (CLI)", () => {
  it.scopedLive("on a file, a result larger than the RSS bound completes in every format within it", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      for (const format of ["csv", "ndjson", "json", "table"] as const) yield* streamsWhole(["--db", url.slice("file:".length)], format)
    }), { timeout: 240_000 })

  it.scopedLive("on a file, `query … | head -1` ends a statement that never ends, exit 0", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      yield* endsAtHead(["--db", url.slice("file:".length)], "csv")
      yield* endsAtHead(["--db", url.slice("file:".length)], "ndjson")
    }), { timeout: 60_000 })

  it.scopedLive("check --assert reads the same stream: a large result counted in bounded memory", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const assertion = join(yield* tempDir, "large.sql")
      // 480 MB of rows: counting them in a tight loop lets the collector fall about 120 MiB behind, held they would take it all.
      const rows = 3 * ROWS
      writeFileSync(assertion, largeOf(rows))
      const baseline = yield* measured(["check", "--db", url.slice("file:".length)])
      const run = yield* measured(["check", "--db", url.slice("file:".length), "--assert", assertion])
      // The fixture's failed connections fail a built-in check too: exit 1 either way.
      assert.strictEqual(run.exit, 1, run.stderr)
      assert.include(run.tail, `FAIL large: ${rows} rows: {"pad":"`)
      assert.isBelow(run.rssMiB, baseline.rssMiB + CHECK_MARGIN_MIB)
    }), { timeout: 60_000 })

  it.scopedLive("on a libSQL server (a Hrana cursor) and on a replica of it, the same, and the server answers after", () =>
    Effect.gen(function*() {
      const server = yield* startSqld()
      yield* fixtureMirrorIn(Effect.succeed(server.url))
      const replica = ["--replica", join(yield* tempDir, "replica.db")]
      const small = "select count(*) as n from live_connections"
      const baseline = yield* measured(["query", small, "--db", server.url, "--format", "csv"])
      assert.strictEqual(baseline.exit, 0, baseline.stderr)
      const serverBound: Bound = { peakMiB: baseline.rssMiB + SERVER_MARGIN_MIB, roomMiB: SERVER_MARGIN_MIB }
      yield* streamsWhole(["--db", server.url], "ndjson", serverBound)
      yield* endsAtHead(["--db", server.url], "ndjson")
      yield* streamsWhole(["--db", server.url, ...replica], "csv", serverBound)
      yield* endsAtHead(["--db", server.url, ...replica, "--offline"], "csv")
      // The statement `head` ended is gone: the server answers the next one as before.
      const after = yield* measured(["query", small, "--db", server.url, "--format", "csv"])
      assert.strictEqual(after.exit, 0, after.stderr)
      assert.strictEqual(after.tail, baseline.tail)
    }), { timeout: 240_000 })
})
