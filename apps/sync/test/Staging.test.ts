import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Staging from "../src/Staging.js"
import { backends, mirrorLayer, rows, stagingTables } from "./harness.js"

const row = (id: string, name: string): Staging.StagedRow => ({ id, raw: { id, name }, listedActive: true })

/** The staged rows of `table` as `[id, name]`, in id order. */
const stagedNames = (url: string, table: string) =>
  Effect.map(
    rows<{ id: string; raw: string }>(url, `SELECT id, raw FROM ${table} ORDER BY id`),
    (staged) => staged.map(({ id, raw }) => [id, (JSON.parse(raw) as { name: string }).name])
  )

/** A run of source `test` recorded, so a staging table of it counts as the source's. */
const recordRun = (url: string, runId: number) =>
  rows(url, "INSERT INTO sync_runs (id, source, started_at, status) VALUES (?, 'test', 't', 'running')", [runId])

describe.each(backends)("Staging over $name", ({ database }) => {
  // Fifty runs on one database, on the TestClock: a wait anywhere in staging would hang here, not pass by luck.
  // About 500 requests to a server: a few seconds on a quiet machine, up to 30 on one running the whole suite.
  it.scoped("seal keeps one copy of each row, the one staged last, within a batch and across batches, run after run", () =>
    Effect.gen(function*() {
      const url = yield* database
      yield* Effect.gen(function*() {
        for (let runId = 1; runId <= 50; runId++) {
          yield* Effect.scoped(Effect.gen(function*() {
            const staging = yield* Staging.make(runId, "test")
            yield* staging.stage([row("a", "first"), row("b", "only"), row("a", "second")])
            yield* staging.stage([row("c", "first"), row("a", "third")])
            yield* staging.stage([row("c", "second")])
            yield* staging.seal
            assert.deepStrictEqual(yield* stagedNames(url, staging.table), [["a", "third"], ["b", "only"], ["c", "second"]], `run ${runId}`)
          }))
        }
      }).pipe(Effect.provide(mirrorLayer(url)))
    }), 60_000)

  it.scopedLive("the table is made on acquire and dropped on release, a killed run's left over dropped too; reset empties it", () =>
    Effect.gen(function*() {
      const url = yield* database
      yield* Effect.gen(function*() {
        yield* recordRun(url, 1)
        // Run 1 was killed: its table was never released.
        const killed = yield* Effect.scoped(Effect.map(Staging.make(1, "test"), (staging) => staging.table)).pipe(
          Effect.zipLeft(rows(url, `CREATE TABLE ${Staging.TABLE_PREFIX}1 (id TEXT)`))
        )
        assert.deepStrictEqual(yield* stagingTables(url), [{ name: killed, staged: 0 }])
        yield* recordRun(url, 2)
        yield* Effect.scoped(Effect.gen(function*() {
          const staging = yield* Staging.make(2, "test")
          assert.deepStrictEqual(yield* stagingTables(url), [{ name: staging.table, staged: 0 }])
          yield* staging.stage([row("a", "first"), row("b", "only")])
          yield* staging.seal
          assert.strictEqual(yield* staging.count, 2)
          yield* staging.reset
          assert.strictEqual(yield* staging.count, 0)
          yield* staging.stage([row("c", "again")])
          yield* staging.seal
          assert.deepStrictEqual(yield* stagedNames(url, staging.table), [["c", "again"]])
        }))
        assert.deepStrictEqual(yield* stagingTables(url), [])
      }).pipe(Effect.provide(mirrorLayer(url)))
    }), 30_000)
})
