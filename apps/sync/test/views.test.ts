import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { rows } from "./harness.js"
import { acme, fixtureMirror, notion, older, quoted, unicode } from "./query/fixture.js"

const linear = "a0000000-0000-4000-8000-000000000006"

describe("views (drizzle/0001_views.sql)", () => {
  it.scopedLive("live_connections leaves out tombstones", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const live = yield* rows<{ id: string }>(url, "SELECT id FROM live_connections ORDER BY id")
      assert.deepStrictEqual(live.map((row) => row.id), [acme, quoted, unicode, older, linear])
    }))

  it.scopedLive("unhealthy_connections lists degraded, failed and unknown, since the change that set the state", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const changedAt = yield* rows<{ run_id: number; observed_at: string }>(
        url,
        "SELECT DISTINCT run_id, observed_at FROM connection_changes ORDER BY run_id"
      )
      const unhealthy = yield* rows<{ id: string; state: string; state_since: string }>(
        url,
        "SELECT id, state, state_since FROM unhealthy_connections ORDER BY id"
      )
      assert.deepStrictEqual(unhealthy, [
        { id: acme!, state: "failed", state_since: changedAt[1]!.observed_at },
        { id: quoted!, state: "failed", state_since: changedAt[0]!.observed_at },
        { id: unicode!, state: "degraded", state_since: changedAt[0]!.observed_at }
      ])
    }))

  it.scopedLive("connections_by_platform counts live rows by platform, environment and state", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const counted = yield* rows(
        url,
        "SELECT platform, environment, state, connections, active, inactive FROM connections_by_platform ORDER BY 1, 2"
      )
      assert.deepStrictEqual(counted, [
        { platform: "gmail", environment: "live", state: null, connections: 1, active: 1, inactive: 0 },
        { platform: "linear", environment: "live", state: "operational", connections: 1, active: 1, inactive: 0 },
        { platform: "slack", environment: "live", state: "degraded", connections: 1, active: 0, inactive: 1 },
        { platform: "stripe", environment: "live", state: "failed", connections: 1, active: 1, inactive: 0 },
        { platform: "stripe", environment: "test", state: "failed", connections: 1, active: 1, inactive: 0 }
      ])
    }))

  it.scopedLive("tag_usage counts live connections per tag, across platforms", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const usage = yield* rows(url, "SELECT tag, connections, platforms FROM tag_usage ORDER BY tag")
      assert.deepStrictEqual(usage, [
        { tag: "billing", connections: 2, platforms: 1 },
        { tag: "eu", connections: 2, platforms: 2 }
      ])
    }))

  it.scopedLive("recent_changes reads the change log newest first, with the connection beside it", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const changes = yield* rows<{ run_id: number; kind: string; connection_id: string; platform: string }>(
        url,
        "SELECT run_id, kind, connection_id, platform FROM recent_changes"
      )
      assert.deepStrictEqual(
        changes.slice(0, 3).map((c) => [c.run_id, c.kind, c.connection_id]).sort(),
        [[2, "deleted", notion], [2, "inserted", linear], [2, "updated", acme]].sort()
      )
      assert.deepStrictEqual(changes.slice(3).map((c) => [c.run_id, c.kind]), Array(5).fill([1, "inserted"]))
      assert.strictEqual(changes.find((c) => c.connection_id === notion)?.platform, "notion")
    }))

  it.scopedLive("state_changes shows each change of state with its old and new value", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const changes = yield* rows(url, "SELECT run_id, connection_id, platform, old_state, new_state FROM state_changes")
      assert.deepStrictEqual(changes, [
        { run_id: 2, connection_id: acme, platform: "stripe", old_state: "operational", new_state: "failed" }
      ])
    }))
})
