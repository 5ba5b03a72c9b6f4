import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { holdDatabase, sync, synced, waitFor } from "./harness.js"

describe("Database", () => {
  it.scopedLive("waits out another process's write transaction longer than the busy timeout", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      const holder = yield* holdDatabase(url, "write", 6_000)
      yield* waitFor("the other process to lock the database", Effect.sync(holder.locked))
      yield* mock.insert({})
      const run = yield* sync({ mock, url })
      assert.include(run, { status: "succeeded", inserted: 1 })
    }))
})
