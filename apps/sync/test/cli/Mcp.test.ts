import { assert, describe, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { Effect } from "effect"
import { testCliBin, testCliCodeCache } from "../cliBundle.js"
import { runCli } from "../cliInProcess.js"
import { mirrorSnapshot, rows, synced } from "../harness.js"
import { startSqld } from "../Sqld.js"

const PICA_SECRET = "sk_test_mcp_never_shown_0123456789"

/** Everything the server said: each protocol message it sent, and its stderr. */
interface Transcript {
  readonly messages: Array<string>
  stderr: string
}

/**
 * `picasync mcp …args` as an MCP client starts it, driven by the official SDK's client over stdio;
 * closed with the scope. The Pica secret is in its environment, as it would be on an operator's machine.
 */
const connect = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const transcript: Transcript = { messages: [], stderr: "" }
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [testCliBin, "mcp", ...args],
      env: { PATH: process.env.PATH ?? "", PICASYNC_CACHE_DIR: testCliCodeCache, PICA_SECRET_KEY: PICA_SECRET, ...env },
      stderr: "pipe"
    })
    transport.stderr!.on("data", (chunk) => (transcript.stderr += chunk))
    const client = new Client({ name: "picasync-test", version: "1.0.0" })
    yield* Effect.acquireRelease(
      Effect.promise(() => client.connect(transport)),
      () => Effect.promise(() => client.close())
    )
    const deliver = transport.onmessage!
    transport.onmessage = (message) => {
      transcript.messages.push(JSON.stringify(message))
      deliver(message)
    }
    /** The tool's answer: its one text, and whether it is an error. */
    const call = (name: string, args: Record<string, unknown> = {}) =>
      Effect.promise(() => client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })).pipe(
        Effect.map((result) => {
          const content = result.content as Array<{ readonly type: string; readonly text: string }>
          assert.strictEqual(content.length, 1)
          return { isError: result.isError === true, text: content[0]!.text }
        })
      )
    /** A call that must succeed, its JSON answer parsed. */
    const json = (name: string, args: Record<string, unknown> = {}) =>
      Effect.map(call(name, args), ({ isError, text }) => {
        assert.isFalse(isError, text)
        return JSON.parse(text)
      })
    return { client, call, json, transcript }
  })

/** What `picasync …args --format json` prints, parsed. */
const cliJson = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.gen(function*() {
    const cli = yield* runCli([...args, "--format", "json"], env)
    assert.include([0, 1], cli.exitCode, cli.stderr)
    return JSON.parse(cli.stdout)
  })

const writes = [
  ["DELETE FROM connections", "DELETE statements change the database; picasync query only reads (SELECT, WITH, VALUES, EXPLAIN)"],
  ["UPDATE connections SET name = 'x'", "UPDATE statements change the database"],
  ["DROP VIEW live_connections", "DROP statements change the database"],
  ["PRAGMA user_version = 7", "PRAGMA user_version can change the database"],
  ["WITH doomed AS (SELECT id FROM connections) DELETE FROM connections WHERE id IN (SELECT id FROM doomed)", "the statement tries to write; picasync query only reads"],
  ["SELECT 1; DELETE FROM connections", "give one statement at a time"]
] as const

/** Counts for ever: only the time limit ends it. */
const slowStatement = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"

const countAll = "SELECT platform, count(*) AS n FROM live_connections GROUP BY platform ORDER BY platform"

/** The tests every backend passes: the tools answer what the CLI answers, and writes change nothing. */
const answersLikeTheCli = (
  mirror: { readonly url: string; readonly args: ReadonlyArray<string>; readonly env: Record<string, string> },
  secrets: ReadonlyArray<string>
) =>
  Effect.gen(function*() {
    const { client, call, json, transcript } = yield* connect(mirror.args, mirror.env)
    const cliEnv = { ...mirror.env, ...(mirror.url.startsWith("file:") ? { PICASYNC_DB: mirror.url.slice(5) } : {}) }

    const { tools } = yield* Effect.promise(() => client.listTools())
    assert.deepStrictEqual(tools.map((tool) => tool.name), ["query", "tables", "status", "check", "connection"])
    for (const tool of tools) {
      assert.strictEqual(tool.annotations?.readOnlyHint, true, tool.name)
      assert.strictEqual(tool.inputSchema.type, "object", tool.name)
      assert.isAbove(tool.description?.length ?? 0, 80, tool.name)
    }
    assert.deepStrictEqual(tools[0]!.inputSchema.required, ["sql"])
    assert.deepStrictEqual(tools[4]!.inputSchema.required, ["id_or_key"])
    assert.include(client.getInstructions(), "tombstone")

    const query = yield* json("query", { sql: countAll })
    assert.deepStrictEqual(query.columns, ["platform", "n"])
    assert.strictEqual(query.rowCount, query.rows.length)
    assert.isUndefined(query.cut)
    assert.deepStrictEqual(query.rows, yield* cliJson(["query", countAll], cliEnv))
    const bound = yield* json("query", {
      sql: "SELECT id, key, tags, raw FROM connections WHERE platform = :platform AND active = :active ORDER BY id",
      params: { platform: query.rows[0].platform, active: 1 }
    })
    assert.isAbove(bound.rows.length, 0)
    assert.deepStrictEqual(
      bound.rows,
      yield* cliJson([
        "query",
        "SELECT id, key, tags, raw FROM connections WHERE platform = :platform AND active = :active ORDER BY id",
        "--param",
        `platform=${query.rows[0].platform}`,
        "--param",
        "active=1"
      ], cliEnv)
    )
    assert.isArray(bound.rows[0].tags, "JSON text comes back as JSON")

    assert.deepStrictEqual(yield* json("tables"), yield* cliJson(["tables"], cliEnv))
    assert.deepStrictEqual(yield* json("tables", { counts: true }), yield* cliJson(["tables", "--counts"], cliEnv))
    const status = yield* json("status")
    assert.deepStrictEqual(status, yield* cliJson(["status"], cliEnv))
    assert.strictEqual(status[0].source, "test")
    const check = yield* json("check", { max_failing: 1000, failing_for: "30d" })
    const cliCheck = yield* cliJson(["check", "--max-failing", "1000", "--failing-for", "30d"], cliEnv)
    assert.strictEqual(check.ok, cliCheck.ok)
    assert.deepStrictEqual(check.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]), cliCheck.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]))

    const [first] = yield* rows<{ id: string; key: string }>(mirror.url, "SELECT id, key FROM connections ORDER BY id LIMIT 1")
    const byId = yield* json("connection", { id_or_key: first!.id })
    assert.deepStrictEqual(byId, yield* json("connection", { id_or_key: first!.key }))
    assert.strictEqual(byId.length, 1)
    const { recent_changes, ...connection } = byId[0]
    assert.deepStrictEqual([connection], yield* cliJson(["query", `SELECT * FROM connections WHERE id = '${first!.id}'`], cliEnv))
    assert.deepStrictEqual(
      recent_changes,
      yield* cliJson([
        "query",
        `SELECT id, run_id, kind, changed_fields, observed_at FROM connection_changes WHERE connection_id = '${first!.id}' ORDER BY id DESC`
      ], cliEnv)
    )
    assert.strictEqual(recent_changes[0].kind, "inserted")
    const absent = yield* call("connection", { id_or_key: "no-such-connection" })
    assert.isTrue(absent.isError)
    assert.include(absent.text, "no connection has the id or key \"no-such-connection\"")

    const before = yield* mirrorSnapshot(mirror.url)
    for (const [sql, message] of writes) {
      const refused = yield* call("query", { sql })
      assert.isTrue(refused.isError, sql)
      assert.include(refused.text, message, sql)
    }
    assert.deepStrictEqual(yield* mirrorSnapshot(mirror.url), before)
    const [views] = yield* rows<{ n: number }>(mirror.url, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'live_connections'")
    assert.strictEqual(Number(views!.n), 1)
    assert.deepStrictEqual((yield* json("query", { sql: countAll })).rows, query.rows, "the server still answers")

    const output = [...transcript.messages, transcript.stderr].join("\n")
    for (const secret of [PICA_SECRET, ...secrets]) assert.notInclude(output, secret)
  })

describe("picasync mcp: the mirror over the Model Context Protocol (official SDK client, stdio)", () => {
  it.scopedLive("on a mirror file, each tool answers what the CLI answers, writes are refused and change nothing", () =>
    Effect.gen(function*() {
      const { url } = yield* synced(30, 7)
      yield* answersLikeTheCli({ url, args: ["--db", url.slice("file:".length)], env: {} }, [])
    }), { timeout: 120_000 })

  it.scopedLive("on a libSQL server with a read-only token, the same; the token is never shown", () =>
    Effect.gen(function*() {
      const server = yield* startSqld({ auth: true })
      const { url } = yield* synced(30, 7, { database: Effect.succeed(`${server.url}?authToken=${server.tokens!.rw}`) })
      yield* answersLikeTheCli(
        { url, args: [], env: { PICASYNC_DB: server.url, PICASYNC_DB_AUTH_TOKEN: server.tokens!.ro } },
        [server.tokens!.ro, server.tokens!.rw]
      )
      // Killing the worker drops its HTTP request: the server answers the next call at once.
      const { call, json } = yield* connect(["--time-limit", "3s"], { PICASYNC_DB: server.url, PICASYNC_DB_AUTH_TOKEN: server.tokens!.ro })
      const slow = yield* call("query", { sql: slowStatement })
      assert.include(slow.text, "query ran past the time limit of 3s (--time-limit) and was stopped")
      assert.deepStrictEqual((yield* json("query", { sql: "SELECT 1 AS one" })).rows, [{ one: 1 }])
    }), { timeout: 120_000 })

  it.scopedLive("a 200,000-row result is cut at the row limit or the byte limit, saying so", () =>
    Effect.gen(function*() {
      const { url } = yield* synced(3, 1)
      const sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT i FROM n"
      const byRows = yield* connect(["--db", url.slice("file:".length)])
      const rowsCut = yield* byRows.json("query", { sql })
      assert.strictEqual(rowsCut.rowCount, 200_000)
      assert.strictEqual(rowsCut.rows.length, 500)
      assert.deepStrictEqual(rowsCut.rows.slice(0, 2), [{ i: 1 }, { i: 2 }])
      assert.include(rowsCut.cut, "only the first 500 of 200,000 rows are shown, the limit of 500 rows (--max-rows)")
      const byBytes = yield* connect(["--db", url.slice("file:".length), "--max-rows", "100000", "--max-bytes", "1000"])
      const bytesCut = yield* byBytes.json("query", { sql })
      assert.strictEqual(bytesCut.rowCount, 200_000)
      assert.isBelow(JSON.stringify(bytesCut.rows).length, 1000)
      assert.include(bytesCut.cut, `only the first ${bytesCut.rows.length} of 200,000 rows are shown, the limit of 1,000 bytes (--max-bytes)`)
    }), { timeout: 60_000 })

  it.scopedLive("a slow statement is stopped at the time limit; bad SQL and malformed input are tool errors; the server goes on", () =>
    Effect.gen(function*() {
      const { url } = yield* synced(3, 1)
      const { call, json } = yield* connect(["--db", url.slice("file:".length), "--time-limit", "2s"])
      yield* json("query", { sql: "SELECT 1 AS one" })
      const started = Date.now()
      const slow = yield* call("query", { sql: slowStatement })
      const took = Date.now() - started
      assert.isTrue(slow.isError)
      assert.include(slow.text, "query ran past the time limit of 2s (--time-limit) and was stopped")
      assert.isAtLeast(took, 2000)
      assert.isBelow(took, 15_000)
      assert.deepStrictEqual((yield* json("query", { sql: "SELECT 1 AS one" })).rows, [{ one: 1 }])

      const failures: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
        ["query", { sql: "SELECT nope FROM connections" }, "SQL error: no such column: nope"],
        ["query", { sql: "SELEC 1" }, "SELEC statements change the database"],
        ["query", { sql: "SELECT :platform" }, "the SQL uses :platform but no value was given for it"],
        ["query", {}, "the input of query does not fit its schema: sql: is missing"],
        ["query", { sql: 42 }, "sql: Expected string, actual 42"],
        ["query", { sql: "SELECT 1", as_of: "2026-01-01" }, "as_of: is unexpected"],
        ["status", { max_age: "soon" }, "max_age takes an interval such as 30s, 5m, 1h or 7d; got \"soon\""],
        ["check", { max_failing: -1 }, "max_failing: Expected a non-negative number"],
        ["connection", { id_or_key: "" }, "id_or_key"],
        ["drop_everything", {}, "there is no tool \"drop_everything\"; the tools are query, tables, status, check, connection"]
      ]
      for (const [name, args, message] of failures) {
        const failed = yield* call(name, args)
        assert.isTrue(failed.isError, `${name} ${JSON.stringify(args)}: ${failed.text}`)
        assert.include(failed.text, message)
        assert.notInclude(failed.text, "\n")
      }
      assert.deepStrictEqual((yield* json("query", { sql: "SELECT 2 AS two" })).rows, [{ two: 2 }])
    }), { timeout: 60_000 })
})
