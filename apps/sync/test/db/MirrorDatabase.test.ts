import { assert, describe, it } from "@effect/vitest"
import { sql } from "drizzle-orm"
import { Deferred, Effect, Fiber, Ref } from "effect"
import { MirrorDatabase } from "../../src/db/MirrorDatabase.js"
import { backends, count, rows, sqlClient, tempDatabase } from "../harness.js"
import { observer } from "../tracing.js"

/** The numbers in table `t`, in order. */
const numbers = Effect.flatMap(MirrorDatabase, (db) =>
  db.query("test", (orm) => orm.all<{ n: number }>(sql`SELECT n FROM t ORDER BY n`))).pipe(
    Effect.map((rows) => rows.map((row) => Number(row.n)))
  )

const insert = (n: number) => Effect.flatMap(MirrorDatabase, (db) => db.query("test", (orm) => orm.run(sql`INSERT INTO t (n) VALUES (${n})`)))

describe.each(backends)("MirrorDatabase over $name", ({ database }) => {
  const withDatabase = <A, E>(effect: Effect.Effect<A, E, MirrorDatabase>) =>
    Effect.flatMap(database, (url) =>
      Effect.provide(
        Effect.zipRight(Effect.flatMap(MirrorDatabase, (db) => db.query("test", (orm) => orm.run(sql`CREATE TABLE t (n INTEGER)`))), effect),
        MirrorDatabase.layer({ url })
      ))

  it.scopedLive("a transaction inside a transaction completes, as a savepoint committed with the outer one", () =>
    withDatabase(Effect.gen(function*() {
      const db = yield* MirrorDatabase
      yield* db.transaction("outer", Effect.zipRight(insert(1), db.transaction("inner", db.transaction("innermost", insert(2)))))
      assert.deepStrictEqual(yield* numbers, [1, 2])
    })))

  it.scopedLive("an inner transaction that fails is undone alone; the outer one goes on and commits", () =>
    withDatabase(Effect.gen(function*() {
      const db = yield* MirrorDatabase
      yield* db.transaction(
        "outer",
        Effect.gen(function*() {
          yield* insert(1)
          const inner = yield* Effect.flip(db.transaction("inner", Effect.zipRight(insert(2), Effect.fail("inner failed" as const))))
          assert.strictEqual(inner, "inner failed")
          yield* insert(3)
        })
      )
      assert.deepStrictEqual(yield* numbers, [1, 3])
    })))

  it.scopedLive("a failing outer transaction takes its completed inner ones with it", () =>
    withDatabase(Effect.gen(function*() {
      const db = yield* MirrorDatabase
      const failed = yield* Effect.flip(db.transaction("outer", Effect.zipRight(db.transaction("inner", insert(1)), Effect.fail("outer failed" as const))))
      assert.strictEqual(failed, "outer failed")
      assert.deepStrictEqual(yield* numbers, [])
    })))

  it.scopedLive("batch and readOnly inside a transaction run in it, and commit or roll back with it", () =>
    withDatabase(Effect.gen(function*() {
      const db = yield* MirrorDatabase
      const seen = yield* db.transaction(
        "outer",
        Effect.gen(function*() {
          yield* db.batch("inner batch", [{ sql: "INSERT INTO t (n) VALUES (?)", args: [1] }, { sql: "INSERT INTO t (n) VALUES (?)", args: [2] }])
          const read = yield* db.readOnly("inner read", async (tx) => (await tx.execute("SELECT count(*) AS n FROM t")).rows[0]!.n)
          yield* insert(3)
          return Number(read)
        })
      )
      assert.strictEqual(seen, 2, "the read sees the transaction's own writes")
      assert.deepStrictEqual(yield* numbers, [1, 2, 3])
      const failed = yield* Effect.flip(db.transaction("outer", Effect.zipRight(db.batch("inner batch", [{ sql: "INSERT INTO t (n) VALUES (4)", args: [] }]), Effect.fail("no" as const))))
      assert.strictEqual(failed, "no")
      assert.deepStrictEqual(yield* numbers, [1, 2, 3])
    })))

  it.scopedLive("execute runs one statement and returns its rows as objects; inside a transaction, it sees that transaction's writes", () =>
    withDatabase(Effect.gen(function*() {
      const db = yield* MirrorDatabase
      yield* db.execute("test", sql`INSERT INTO t (n) VALUES (${1}), (${2})`)
      const inside = yield* db.transaction(
        "outer",
        Effect.zipRight(
          db.execute("test", { sql: "INSERT INTO t (n) VALUES (?)", args: [3] }),
          db.execute<{ n: number; label: string }>("test", sql`SELECT n, 'n' || n AS label FROM t ORDER BY n`)
        )
      )
      assert.deepStrictEqual(inside, [{ n: 1, label: "n1" }, { n: 2, label: "n2" }, { n: 3, label: "n3" }])
    })))

  it.scopedLive("yieldingTo: each call outside a transaction waits on the gate, which itself reads freely; calls inside the transaction and readOnly do not", () =>
    withDatabase(Effect.gen(function*() {
      const db = yield* MirrorDatabase
      const open = yield* Deferred.make<void>()
      const passed = yield* Ref.make(0)
      const gate = Effect.gen(function*() {
        // The gate's own call goes through without waiting on itself.
        const [row] = yield* db.execute<{ n: number }>("gate", sql`SELECT count(*) AS n FROM t`)
        yield* Ref.update(passed, (n) => n + 1)
        assert.strictEqual(row?.n, 0, "nothing written before the gate opens")
        yield* Deferred.await(open)
      })
      const writer = yield* Effect.fork(db.yieldingTo(gate)(db.transaction("gated", Effect.zipRight(insert(1), db.batch("inner", [sql`INSERT INTO t (n) VALUES (${2})`])))))
      // A read of its own while the writer waits at the gate.
      const read = yield* db.yieldingTo(Effect.never)(db.readOnly("ungated read", async (tx) => (await tx.execute("SELECT count(*) AS n FROM t")).rows[0]?.n))
      assert.strictEqual(Number(read), 0)
      yield* Deferred.succeed(open, undefined)
      yield* Fiber.join(writer)
      assert.strictEqual(yield* Ref.get(passed), 1, "one gate for the transaction, none for the calls inside it")
      assert.deepStrictEqual(yield* numbers, [1, 2])
    })))
})

describe("MirrorDatabase spans and layers", () => {
  it.scopedLive("every statement runs in a span named for its operation, with its SQL and never its arguments", () =>
    Effect.gen(function*() {
      const url = yield* tempDatabase
      const { observed, spans } = observer()
      yield* Effect.flatMap(MirrorDatabase, (db) =>
        Effect.zipRight(
          db.execute("make table", sql`CREATE TABLE t (n TEXT)`),
          db.transaction("fill", db.execute("insert", sql`INSERT INTO t (n) VALUES (${"the argument"})`))
        )).pipe(Effect.provide(MirrorDatabase.layer({ url })), observed)
      const named = (name: string) => spans.filter((span) => span.includes(`name: '${name}'`))
      assert.lengthOf(named("Database.execute make table"), 1)
      assert.lengthOf(named("Database.transaction fill"), 1)
      const [insertSpan] = named("Database.execute insert")
      assert.include(insertSpan, "INSERT INTO t (n) VALUES (?)")
      assert.notInclude(spans.join("\n"), "the argument")
    }))

  it.scopedLive("layerMigrated opens the database with the mirror's schema current", () =>
    Effect.gen(function*() {
      const url = yield* tempDatabase
      yield* Effect.provide(Effect.void, MirrorDatabase.layerMigrated({ url }))
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('connections', 'sync_runs', 'sync_locks')"), 3)
    }))
})

describe("MirrorDatabase on a local file", () => {
  const pragma = (url: string, name: string) => Effect.map(rows<Record<string, unknown>>(url, `PRAGMA ${name}`), ([row]) => Object.values(row ?? {})[0])

  it.scopedLive("a new file is made with 8 KiB pages, in WAL mode", () =>
    Effect.gen(function*() {
      const url = yield* tempDatabase
      yield* Effect.provide(Effect.void, MirrorDatabase.layerMigrated({ url }))
      assert.strictEqual(Number(yield* pragma(url, "page_size")), 8192)
      assert.strictEqual(yield* pragma(url, "journal_mode"), "wal")
    }))

  it.scopedLive("a file made with SQLite's default 4 KiB pages keeps them, and is migrated as before", () =>
    Effect.gen(function*() {
      const url = yield* tempDatabase
      yield* Effect.scoped(Effect.flatMap(sqlClient(url), (client) => Effect.promise(() => client.execute("CREATE TABLE kept (n INTEGER)"))))
      assert.strictEqual(Number(yield* pragma(url, "page_size")), 4096)
      yield* Effect.provide(Effect.void, MirrorDatabase.layerMigrated({ url }))
      assert.strictEqual(Number(yield* pragma(url, "page_size")), 4096)
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('kept', 'connections')"), 2)
    }))
})
