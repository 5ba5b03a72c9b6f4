import { assert, describe, it } from "@effect/vitest"
import type { InValue } from "@libsql/client"
import { Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { MirrorDatabase } from "../../src/db/MirrorDatabase.js"
import { render } from "../../src/query/Format.js"
import * as Query from "../../src/query/Query.js"
import { backends, rows, tempDatabase, tempDir } from "../harness.js"
import { fixtureMirrorIn } from "./fixture.js"

const query = (url: string, sql: string, params: Record<string, InValue> = {}) =>
  Effect.provide(Query.run(sql, params), MirrorDatabase.layer({ url, mustExist: true }))

/** The database file and its WAL, byte for byte. */
/** The database file and its write-ahead log; an empty log holds nothing, as no log does (SQLite may leave one behind a reader). */
const bytes = (url: string) => {
  const file = url.slice("file:".length)
  return [file, `${file}-wal`].map((path) => (existsSync(path) ? readFileSync(path).toString("base64") : ""))
}

/** What a refused statement must leave as it was: a file byte for byte; a server (whose files are its own) its schema, every row and its user_version. */
const contents = (url: string) =>
  url.startsWith("file:") ? Effect.succeed<unknown>(bytes(url)) : Effect.gen(function*() {
    const schema = yield* rows<{ type: string; name: string }>(url, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name")
    const tables = yield* Effect.forEach(schema.filter((entry) => entry.type === "table"), (table) => rows(url, `SELECT * FROM "${table.name}"`))
    return { schema, tables, version: yield* rows(url, "PRAGMA user_version") }
  })

const fixtureSql = `SELECT id, name, tags, active, state FROM connections
  WHERE source = 'test' AND deleted_at IS NULL AND platform IN ('stripe', 'slack', 'gmail') ORDER BY created_at DESC`

describe.each(backends)("Query over $name", ({ database }) => {
  const fixtureMirror = fixtureMirrorIn(database)

  it.scopedLive("renders the fixture byte for byte in every format", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const result = yield* query(url, fixtureSql)
      assert.strictEqual(
        render(result, "csv"),
        "id,name,tags,active,state\r\n" +
          "a0000000-0000-4000-8000-000000000001,\"Acme, Inc.\",\"[\"\"eu\"\",\"\"billing\"\"]\",1,failed\r\n" +
          "a0000000-0000-4000-8000-000000000002,\"She said \"\"hi\"\"\nthen left\",\"[\"\"billing\"\"]\",1,failed\r\n" +
          "a0000000-0000-4000-8000-000000000003,Zürich 東京,[],0,degraded\r\n" +
          "a0000000-0000-4000-8000-000000000004,,[],1,\r\n"
      )
      assert.strictEqual(
        render(result, "ndjson"),
        "{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"name\":\"Acme, Inc.\",\"tags\":[\"eu\",\"billing\"],\"active\":1,\"state\":\"failed\"}\n" +
          "{\"id\":\"a0000000-0000-4000-8000-000000000002\",\"name\":\"She said \\\"hi\\\"\\nthen left\",\"tags\":[\"billing\"],\"active\":1,\"state\":\"failed\"}\n" +
          "{\"id\":\"a0000000-0000-4000-8000-000000000003\",\"name\":\"Zürich 東京\",\"tags\":[],\"active\":0,\"state\":\"degraded\"}\n" +
          "{\"id\":\"a0000000-0000-4000-8000-000000000004\",\"name\":null,\"tags\":[],\"active\":1,\"state\":null}\n"
      )
      assert.deepStrictEqual(JSON.parse(render(result, "json")), render(result, "ndjson").trim().split("\n").map((line) => JSON.parse(line)))
      assert.strictEqual(
        render(result, "table", { maxWidth: 16 }),
        [
          "id                name              tags              active  state",
          "────────────────  ────────────────  ────────────────  ──────  ────────",
          "a0000000-0000-4…  Acme, Inc.        [\"eu\",\"billing\"]       1  failed",
          "a0000000-0000-4…  She said \"hi\"⏎t…  [\"billing\"]            1  failed",
          "a0000000-0000-4…  Zürich 東京       []                     0  degraded",
          "a0000000-0000-4…  NULL              []                     1  NULL",
          "(4 rows)",
          ""
        ].join("\n")
      )
    }))

  it.scopedLive("binds parameters, never pastes them into the SQL", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const sql = "SELECT count(*) AS n FROM live_connections WHERE platform = :platform"
      assert.deepStrictEqual((yield* query(url, sql, { platform: "stripe" })).rows, [[2]])
      assert.deepStrictEqual((yield* query(url, sql, { platform: "stripe' OR '1'='1" })).rows, [[0]])
      const missing = yield* Effect.flip(query(url, sql))
      assert.include(missing.message, ":platform")
      const unused = yield* Effect.flip(query(url, sql, { platform: "stripe", env: "live" }))
      assert.include(unused.message, ":env")
    }))

  const writes = [
    "INSERT INTO connections (source, id) VALUES ('x', 'y')",
    "UPDATE connections SET name = 'x'",
    "DELETE FROM connections",
    "DROP TABLE connection_tags",
    "DROP VIEW live_connections",
    "ALTER TABLE connections ADD COLUMN x TEXT",
    "CREATE TABLE x (a)",
    "CREATE INDEX x ON connections (name)",
    "ATTACH 'other.db' AS other",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = DELETE",
    "WITH doomed AS (SELECT id FROM connections) DELETE FROM connections WHERE id IN (SELECT id FROM doomed)",
    "WITH x AS (SELECT 1) INSERT INTO sync_runs (source, started_at, status) SELECT 'x', 'now', 'running' FROM x",
    "REPLACE INTO sync_locks (source, holder, pid, hostname, acquired_at, heartbeat_at) VALUES ('s','h',1,'h','n','n')",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "SELECT 1; DELETE FROM connections"
  ]

  it.scopedLive("refuses every statement that writes, leaving the database unchanged", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const before = yield* contents(url)
      for (const sql of writes) {
        const error = yield* Effect.flip(query(url, sql))
        assert.strictEqual(error._tag, "QueryError", sql)
        assert.deepStrictEqual(yield* contents(url), before, sql)
      }
      // Only a file has a directory of its own that ATTACH could create a file in.
      if (url.startsWith("file:")) assert.isFalse(existsSync(join(url.slice("file:".length), "..", "other.db")))
    }))

  it.scopedLive("reports bad SQL in one line", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const syntax = yield* Effect.flip(query(url, "SELEC 1"))
      assert.strictEqual(syntax.message, "SELEC statements change the database; picasync query only reads (SELECT, WITH, VALUES, EXPLAIN)")
      const column = yield* Effect.flip(query(url, "SELECT no_such_column FROM connections"))
      assert.strictEqual(column.message, "SQL error: no such column: no_such_column")
      const table = yield* Effect.flip(query(url, "SELECT * FROM nowhere"))
      assert.strictEqual(table.message, "SQL error: no such table: nowhere")
    }))
})

describe("Query over file", () => {
  // File-only: the engine's own refusal is `PRAGMA query_only`, which a libSQL server refuses to set.
  it.scopedLive("SQLite itself refuses a write that gets past the statement check", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirrorIn(tempDatabase)
      const before = bytes(url)
      const error = yield* Effect.flip(
        Effect.flatMap(MirrorDatabase, (db) => db.readOnly("test", (tx) => tx.execute("DELETE FROM connections"))).pipe(
          Effect.provide(MirrorDatabase.layer({ url }))
        )
      )
      assert.strictEqual(error._tag === "DatabaseError" && error.code, "SQLITE_READONLY")
      assert.deepStrictEqual(bytes(url), before)
    }))

  // File-only: a `file:` path is what must not appear; a server's URL has no file to create.
  it.scopedLive("never creates a database that is not there", () =>
    Effect.gen(function*() {
      const path = join(yield* tempDir, "absent.db")
      const error = yield* Effect.flip(query(`file:${path}`, "SELECT 1"))
      assert.strictEqual(error._tag, "DatabaseMissing")
      assert.strictEqual(error.message, `no database at ${path}`)
      assert.isFalse(existsSync(path))
    }))
})
