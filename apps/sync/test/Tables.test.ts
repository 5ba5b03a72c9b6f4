import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import * as Tables from "../src/Tables.js"
import { backends } from "./harness.js"
import { fixtureMirrorIn } from "./query/fixture.js"

describe.each(backends)("Tables over $name", ({ database }) => {
  it.scopedLive("lists every table and view with its columns, a description and, when asked, its rows", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirrorIn(database)
      const tables = yield* Effect.provide(Tables.list({ counts: true }), MirrorDatabase.layer({ url, mustExist: true }))
      const byName = new Map(tables.map((table) => [table.name, table]))
      for (const name of ["connections", "connection_tags", "connection_changes", "sync_runs", "live_connections", "unhealthy_connections", "connections_by_platform", "tag_usage", "recent_changes", "state_changes"]) {
        assert.isTrue(byName.has(name), name)
        assert.notStrictEqual(byName.get(name)?.description, "", name)
      }
      assert.isFalse([...byName.keys()].some((name) => name.startsWith("__drizzle") || name.startsWith("sqlite_")))
      assert.strictEqual(byName.get("connections")?.rows, 6)
      assert.strictEqual(byName.get("live_connections")?.kind, "view")
      assert.strictEqual(byName.get("live_connections")?.rows, 5)
      assert.includeMembers(byName.get("connections")?.columns.map((column) => column.name) ?? [], ["platform_version", "deleted_at", "raw", "tags"])
    }))
})
