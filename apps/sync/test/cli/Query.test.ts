import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runCli } from "../cliInProcess.js"
import { tempDir } from "../harness.js"
import { fixtureMirror } from "../query/fixture.js"

const dbPath = (url: string) => url.slice("file:".length)

describe("picasync query, status, tables (CLI)", () => {
  it.scopedLive("query prints CSV with bound parameters, from an argument or a file", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const sql = "SELECT platform, count(*) AS n FROM live_connections WHERE environment = :env GROUP BY 1 ORDER BY 1"
      const fromArg = yield* runCli(["query", sql, "--db", dbPath(url), "--format", "csv", "--param", "env=live"])
      assert.strictEqual(fromArg.exitCode, 0, fromArg.stderr)
      assert.strictEqual(fromArg.stdout, "platform,n\r\ngmail,1\r\nlinear,1\r\nslack,1\r\nstripe,1\r\n")
      const file = join(yield* tempDir, "q.sql")
      writeFileSync(file, sql)
      const fromFile = yield* runCli(["query", "--file", file, "--db", dbPath(url), "--format", "csv", "--param", "env=test"])
      assert.strictEqual(fromFile.exitCode, 0, fromFile.stderr)
      assert.strictEqual(fromFile.stdout, "platform,n\r\nstripe,1\r\n")
    }))

  it.scopedLive("a write, bad SQL or a missing database is one line on stderr and exit 1; the file is never created", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const write = yield* runCli(["query", "DELETE FROM connections", "--db", dbPath(url)])
      assert.strictEqual(write.exitCode, 1)
      assert.strictEqual(write.stderr, "picasync: DELETE statements change the database; picasync query only reads (SELECT, WITH, VALUES, EXPLAIN)\n")
      const bad = yield* runCli(["query", "SELECT nope FROM connections", "--db", dbPath(url)])
      assert.strictEqual(bad.exitCode, 1)
      assert.strictEqual(bad.stderr, "picasync: SQL error: no such column: nope\n")
      const absent = join(yield* tempDir, "absent.db")
      yield* Effect.forEach([["query", "SELECT 1"], ["status"], ["tables"]], (command) =>
        Effect.gen(function*() {
          const cli = yield* runCli([...command, "--db", absent])
          assert.strictEqual(cli.exitCode, 1, command[0])
          assert.include(cli.stderr, `no database at ${absent}: run picasync sync first`)
          // The CLI adds the flag to change; the domain error names none.
          assert.include(cli.stderr, "run picasync sync first, or point --db (PICASYNC_DB) at the mirror")
        }), { concurrency: 3, discard: true })
      assert.isFalse(existsSync(absent))
    }), { timeout: 60_000 })

  it.scopedLive("status and tables describe the mirror", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const status = yield* runCli(["status", "--db", dbPath(url)])
      assert.strictEqual(status.exitCode, 0, status.stderr)
      assert.include(status.stdout, "source test")
      assert.include(status.stdout, "5 live (4 active, 1 inactive), 1 deleted")
      const tables = yield* runCli(["tables", "--counts", "--db", dbPath(url)])
      assert.strictEqual(tables.exitCode, 0, tables.stderr)
      assert.include(tables.stdout, "live_connections (view, 5 rows)")
      const usage = yield* runCli(["status", "--stale-after", "soon", "--db", dbPath(url)])
      assert.strictEqual(usage.exitCode, 2)
      assert.include(usage.stderr, "--stale-after")
    }))
})
