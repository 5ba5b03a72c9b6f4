import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Staging from "../src/Staging.js"
import { backends, mirrorLayer, rows } from "./harness.js"

describe("Staging.canonicalJson", () => {
  it("sorts keys at every depth, whatever order they came in, and keeps arrays in order", () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }
    const b = { a: { c: null, d: [3, { y: 2, z: 1 }] }, b: 1 }
    assert.strictEqual(Staging.canonicalJson(a), "{\"a\":{\"c\":null,\"d\":[3,{\"y\":2,\"z\":1}]},\"b\":1}")
    assert.strictEqual(Staging.canonicalJson(b), Staging.canonicalJson(a))
  })

  it("keeps a field named __proto__ as a field, never as the copy's prototype", () => {
    const row = JSON.parse("{\"id\":\"x\",\"__proto__\":{\"polluted\":true}}") as object
    assert.strictEqual(Staging.canonicalJson(row), "{\"__proto__\":{\"polluted\":true},\"id\":\"x\"}")
  })
})

describe.each(backends)("Staging.seal over $name", ({ database }) => {
  const row = (id: string, name: string): Staging.StagedRow => ({ id, raw: { id, name }, listedActive: true })

  // Fifty runs on one database, on the TestClock: a wait anywhere in staging would hang here, not pass by luck.
  // About 500 requests to a server: a few seconds on a quiet machine, up to 30 on one running the whole suite.
  it.scoped("keeps one copy of each row, the one staged last, within a batch and across batches, run after run", () =>
    Effect.gen(function*() {
      const url = yield* database
      yield* Effect.gen(function*() {
        for (let runId = 1; runId <= 50; runId++) {
          yield* Staging.begin(runId, "test")
          yield* Staging.stage(runId, "test", [row("a", "first"), row("b", "only"), row("a", "second")])
          yield* Staging.stage(runId, "test", [row("c", "first"), row("a", "third")])
          yield* Staging.stage(runId, "test", [row("c", "second")])
          yield* Staging.seal(runId, "test")
          const staged = yield* rows<{ id: string; raw: string }>(url, `SELECT id, raw FROM ${Staging.table(runId)} ORDER BY id`)
          assert.deepStrictEqual(staged.map(({ id, raw }) => [id, (JSON.parse(raw) as { name: string }).name]), [
            ["a", "third"],
            ["b", "only"],
            ["c", "second"]
          ], `run ${runId}`)
        }
      }).pipe(Effect.provide(mirrorLayer(url)))
    }), 60_000)
})
