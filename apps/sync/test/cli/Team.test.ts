import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { type CliRun, runCli } from "../cliInProcess.js"
import { apiEnv, count, mirrorSnapshot, startMock, tempDir } from "../harness.js"
import { emptySqld, type Sqld, startSqld } from "../Sqld.js"

/** The server's URL with a read-write token in it, for the test's own SQL (never given to the CLI). */
const asAdmin = (server: Sqld) => `${server.url}?authToken=${server.tokens!.rw}`

/** Exit 1 with one line on stderr, nothing on stdout, and no secret anywhere. */
const failsInOneLine = (cli: CliRun, expected: RegExp, secrets: ReadonlyArray<string>, what = "") => {
  assert.strictEqual(cli.exitCode, 1, `${what}: ${cli.stderr}`)
  assert.strictEqual(cli.stdout, "", what)
  const lines = cli.stderr.trimEnd().split("\n")
  assert.strictEqual(lines.length, 1, `${what}: ${cli.stderr}`)
  assert.match(lines[0]!, expected, what)
  for (const secret of secrets) assert.notInclude(cli.stderr, secret, what)
}

/** A sqld with JWT auth and a mock whose first sync the server holds, synced with a read-write token. */
const teamMirror = (count: number) =>
  Effect.gen(function*() {
    const server = yield* emptySqld({ auth: true })
    const mock = yield* startMock({ count, seed: 3 })
    const env = { ...apiEnv(mock), PICASYNC_DB: server.url }
    const cli = yield* runCli(["sync"], { ...env, PICASYNC_DB_AUTH_TOKEN: server.tokens!.rw })
    assert.strictEqual(cli.exitCode, 0, cli.stderr)
    return { server, mock, env, ro: { ...env, PICASYNC_DB_AUTH_TOKEN: server.tokens!.ro } }
  })

describe("A mirror for the team: the CLI on a libSQL server (sqld with JWT auth)", () => {
  it.scopedLive("on an empty server, read commands say there is no mirror, with a read-only token, and create nothing", () =>
    Effect.gen(function*() {
      const server = yield* emptySqld({ auth: true })
      const env = { PICASYNC_DB: server.url, PICASYNC_DB_AUTH_TOKEN: server.tokens!.ro }
      for (const command of [["status"], ["tables"], ["query", "select 1"], ["check"]]) {
        const cli = yield* runCli(command, env)
        failsInOneLine(cli, new RegExp(`^picasync: no mirror at ${server.url}: .*run picasync sync first`), [server.tokens!.ro])
      }
      // A server emptied after another test keeps SQLite's empty `sqlite_sequence`, which no read command makes.
      assert.strictEqual(yield* count(asAdmin(server), "SELECT 1 FROM sqlite_master WHERE name <> 'sqlite_sequence'"), 0)
    }), { timeout: 60_000 })

  it.scopedLive("a read-write token syncs; a read-only one runs query, status and tables but cannot sync", () =>
    Effect.gen(function*() {
      const { env, ro, server } = yield* teamMirror(400)
      const status = yield* runCli(["status"], ro)
      assert.strictEqual(status.exitCode, 0, status.stderr)
      assert.include(status.stdout, "source test")
      const query = yield* runCli(["query", "select count(*) as n from live_connections", "--format", "csv"], ro)
      assert.strictEqual(query.exitCode, 0, query.stderr)
      const live = yield* count(asAdmin(server), "SELECT 1 FROM live_connections")
      assert.strictEqual(query.stdout, `n\r\n${live}\r\n`)
      const tables = yield* runCli(["tables"], ro)
      assert.strictEqual(tables.exitCode, 0, tables.stderr)
      assert.include(tables.stdout, "live_connections")
      const sync = yield* runCli(["sync"], ro)
      failsInOneLine(sync, /HTTP 403.*read-write token.*--db-auth-token or PICASYNC_DB_AUTH_TOKEN/, [server.tokens!.ro])
      const again = yield* runCli(["sync"], { ...env, PICASYNC_DB_AUTH_TOKEN: server.tokens!.rw })
      assert.strictEqual(again.exitCode, 0, again.stderr)
    }), { timeout: 90_000 })

  it.scopedLive("query refuses every write on the server, writing CTEs included, and the database is unchanged", () =>
    Effect.gen(function*() {
      const { env, ro, server } = yield* teamMirror(200)
      const before = yield* mirrorSnapshot(asAdmin(server))
      const writes = [
        "with t as (select 1) delete from connection_tags",
        "with t as (select 1) insert into connection_tags select 'test', 'x', 'y' from t",
        "with t as (select 1) update connections set name = 'changed'",
        "WITH RECURSIVE t(n) AS (SELECT 1) DELETE FROM connections WHERE id IN (SELECT id FROM connections)"
      ]
      // A read-write token can write; the refusal must not depend on the token.
      for (const token of [server.tokens!.rw, server.tokens!.ro]) {
        for (const sql of writes) {
          const cli = yield* runCli(["query", sql], { ...env, PICASYNC_DB_AUTH_TOKEN: token })
          assert.strictEqual(cli.exitCode, 1, sql)
          assert.strictEqual(cli.stderr, "picasync: the statement tries to write; picasync query only reads\n", sql)
        }
      }
      // Over Hrana on a WebSocket too.
      const overWs = yield* runCli(["query", writes[0]!], { ...ro, PICASYNC_DB: server.url.replace("http:", "ws:") })
      assert.strictEqual(overWs.stderr, "picasync: the statement tries to write; picasync query only reads\n")
      const bad = yield* runCli(["query", "select nope from connections"], ro)
      assert.strictEqual(bad.stderr, "picasync: SQL error: no such column: nope\n")
      assert.deepStrictEqual(yield* mirrorSnapshot(asAdmin(server)), before)
    }), { timeout: 90_000 })

  it.scopedLive("a wrong, expired or missing token, an unreachable server, a server without the database: one line each, no token", () =>
    Effect.gen(function*() {
      const server = yield* emptySqld({ auth: true })
      // Servers of their own: one with another key, one without the database, one killed.
      const other = yield* startSqld({ auth: true })
      const empty = yield* startSqld({ namespaces: true })
      const mock = yield* startMock({ count: 10 })
      const closed = yield* startSqld()
      closed.process.kill("SIGKILL")
      yield* Effect.promise(() => new Promise((resolve) => closed.process.once("exit", resolve)))
      const expired = server.token({ a: "rw", exp: 1_000_000_000 })
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, Record<string, string>, RegExp]> = [
        ["another server's token", ["sync"], { PICASYNC_DB: server.url, PICASYNC_DB_AUTH_TOKEN: other.tokens!.rw }, /refused the auth token \(HTTP 401\).*--db-auth-token or PICASYNC_DB_AUTH_TOKEN/],
        ["an expired token", ["status"], { PICASYNC_DB: server.url, PICASYNC_DB_AUTH_TOKEN: expired }, /refused the auth token \(HTTP 401\)/],
        ["no token", ["query", "select 1"], { PICASYNC_DB: server.url }, /refused the auth token \(HTTP 401\)/],
        ["a server that is down", ["sync"], { PICASYNC_DB: closed.url, PICASYNC_DB_AUTH_TOKEN: expired }, /cannot use the database server at .*ECONNREFUSED.*--db or PICASYNC_DB/],
        ["a server without the database", ["status"], { PICASYNC_DB: empty.url }, /no database at this URL \(HTTP 404\).*--db or PICASYNC_DB/],
        ["a server without the database", ["sync"], { PICASYNC_DB: empty.url }, /no database at this URL \(HTTP 404\).*--db or PICASYNC_DB/]
      ]
      yield* Effect.forEach(cases, ([what, command, env, expected]) =>
        Effect.map(
          runCli(command, { ...env, ...apiEnv(mock) }),
          (cli) => failsInOneLine(cli, expected, [other.tokens!.rw, expired, mock.secret], `${what}, ${command[0]}`)
        ), { concurrency: 3, discard: true })
      // The token written into the URL is a secret too.
      const inUrl = yield* runCli(["status"], { PICASYNC_DB: `${server.url}?authToken=${expired}` })
      failsInOneLine(inUrl, /refused the auth token/, [expired])
    }), { timeout: 120_000 })

  it.scopedLive("an analyst's local replica returns what the server holds after each sync, and --offline what it last fetched", () =>
    Effect.gen(function*() {
      const { env, mock, ro, server } = yield* teamMirror(300)
      const replica = join(yield* tempDir, "team.db")
      const liveCount = ["query", "select count(*) as n from live_connections", "--format", "csv", "--replica", replica]
      const read = (extra: ReadonlyArray<string> = []) =>
        Effect.map(runCli([...liveCount, ...extra], ro), (cli) => {
          assert.strictEqual(cli.exitCode, 0, cli.stderr)
          return cli.stdout
        })
      const primary = () => Effect.map(count(asAdmin(server), "SELECT 1 FROM live_connections"), (n) => `n\r\n${n}\r\n`)
      const first = yield* primary()
      assert.strictEqual(yield* read(), first)
      yield* mock.insert({})
      yield* mock.insert({})
      const synced = yield* runCli(["sync"], { ...env, PICASYNC_DB_AUTH_TOKEN: server.tokens!.rw })
      assert.strictEqual(synced.exitCode, 0, synced.stderr)
      assert.notStrictEqual(yield* primary(), first)
      assert.strictEqual(yield* read(["--offline"]), first, "offline: as last refreshed")
      assert.strictEqual(yield* read(), yield* primary(), "refreshed: as the server holds it")
      const write = yield* runCli(["query", "with t as (select 1) delete from connection_tags", "--replica", replica, "--offline"], ro)
      assert.strictEqual(write.stderr, "picasync: the statement tries to write; picasync query only reads\n")
      const status = yield* runCli(["status", "--replica", replica, "--offline"], ro)
      assert.strictEqual(status.exitCode, 0, status.stderr)
      const absent = yield* runCli([...liveCount.slice(0, -1), join(yield* tempDir, "none.db"), "--offline"], ro)
      failsInOneLine(absent, /no replica at .*none\.db yet.*without --offline/, [server.tokens!.ro])
    }), { timeout: 120_000 })

  it.scopedLive("--replica needs a server, and --offline needs --replica: usage errors", () =>
    Effect.gen(function*() {
      const onFile = yield* runCli(["status", "--db", "mirror.db", "--replica", "r.db"], {})
      assert.strictEqual(onFile.exitCode, 2)
      assert.include(onFile.stderr, "--replica")
      const offline = yield* runCli(["status", "--db", "http://127.0.0.1:1", "--offline"], {})
      assert.strictEqual(offline.exitCode, 2)
      assert.include(offline.stderr, "--offline reads a local replica")
    }))
})
