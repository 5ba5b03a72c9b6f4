import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import * as Status from "../src/Status.js"
import { backends, rows, sync } from "./harness.js"
import { fixtureMirrorIn } from "./query/fixture.js"

const hour = 3_600_000

const read = (url: string, now: number, staleAfterMillis = 24 * hour) =>
  Effect.provide(Status.read({ now, staleAfterMillis }), MirrorDatabase.layer({ url, mustExist: true }))

describe.each(backends)("Status over $name", ({ database }) => {
  it.scopedLive("reports runs, counts by environment, state and platform for each source", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* fixtureMirrorIn(database)
      yield* Effect.flip(sync({ mock, url, secret: "sk_test_revoked" }))
      const [last] = yield* rows<{ finished_at: string }>(url, "SELECT finished_at FROM sync_runs WHERE status = 'succeeded' ORDER BY id DESC")
      const now = Date.parse(last!.finished_at) + hour
      const [status, ...others] = yield* read(url, now)
      assert.deepStrictEqual(others, [])
      assert.strictEqual(status?.source, "test")
      assert.strictEqual(status?.lastSuccess?.id, 2)
      assert.strictEqual(status?.lastSuccess?.inserted, 1)
      assert.strictEqual(status?.lastSuccess?.deleted, 1)
      assert.strictEqual(status?.lastFailure?.id, 3)
      assert.include(status?.lastFailure?.error ?? "", "PICA_SECRET_KEY")
      assert.deepStrictEqual(
        [status?.live, status?.active, status?.inactive, status?.deleted],
        [5, 4, 1, 1]
      )
      assert.deepStrictEqual(status?.byEnvironment, [{ value: "live", connections: 4 }, { value: "test", connections: 1 }])
      assert.deepStrictEqual(status?.byState, [
        { value: "failed", connections: 2 },
        { value: "degraded", connections: 1 },
        { value: "none", connections: 1 },
        { value: "operational", connections: 1 }
      ])
      assert.deepStrictEqual(status?.topPlatforms[0], { value: "stripe", connections: 2 })
      assert.isNull(status?.stale ?? null)
    }))

  it.scopedLive("warns when the newest successful sync is older than the limit", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirrorIn(database)
      const [last] = yield* rows<{ finished_at: string }>(url, "SELECT max(finished_at) AS finished_at FROM sync_runs")
      const [status] = yield* read(url, Date.parse(last!.finished_at) + 30 * hour, 24 * hour)
      assert.strictEqual(status?.stale, "the newest successful sync of source \"test\" is 30 h old (more than the 24 h allowed)")
    }))
})
