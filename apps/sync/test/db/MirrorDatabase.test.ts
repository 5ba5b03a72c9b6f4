import { assert, describe, it } from "@effect/vitest"
import { sql } from "drizzle-orm"
import { Effect } from "effect"
import { MirrorDatabase } from "../../src/db/MirrorDatabase.js"
import { backends } from "../harness.js"

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
})
