import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { drizzle } from "drizzle-orm/libsql"
import { migrate } from "drizzle-orm/libsql/migrator"
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { count, holdDatabase, rows, sqlClient, startMock, sync, synced, tempDir } from "./harness.js"

const migrations = fileURLToPath(new URL("../drizzle", import.meta.url))

describe("Database", () => {
  it.scopedLive("waits out another process's write transaction longer than the busy timeout", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      const holder = yield* holdDatabase(url, "write", 6_000)
      yield* holder.locked
      yield* mock.insert({})
      const run = yield* sync({ mock, url })
      assert.include(run, { status: "succeeded", inserted: 1 })
    }))
  it.scopedLive("upgrades a mirror made before the real-API columns: rows, changes and views survive, the next sync goes on", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const url = `file:${join(dir, "mirror.db")}`
      // The migrations as they were: the first two, with a journal that knows only them.
      const before = join(dir, "drizzle")
      mkdirSync(join(before, "meta"), { recursive: true })
      const journal = JSON.parse(readFileSync(join(migrations, "meta", "_journal.json"), "utf8"))
      for (const entry of journal.entries.slice(0, 2)) copyFileSync(join(migrations, `${entry.tag}.sql`), join(before, `${entry.tag}.sql`))
      writeFileSync(join(before, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, 2) }))
      yield* Effect.scoped(Effect.flatMap(sqlClient(url), (client) => Effect.promise(() => migrate(drizzle({ client }), { migrationsFolder: before }))))
      yield* Effect.scoped(Effect.flatMap(sqlClient(url), (client) =>
        Effect.promise(() =>
          client.executeMultiple(`
            INSERT INTO connections (source, id, key, platform, platform_version, type, environment, description, version, active,
              created_at, raw, content_hash, first_seen_at, last_seen_at)
            VALUES ('test', 'old-1', 'k', 'stripe', '1', 'api', 'test', 'd', '1', 1, '2025-01-01T00:00:00Z', '{"id":"old-1"}', 'h', 't', 't');
            INSERT INTO sync_runs (source, started_at, status) VALUES ('test', 't', 'succeeded');`)
        )))
      const mock = yield* startMock({ count: 40 })
      const run = yield* sync({ mock, url })
      assert.include(run, { status: "succeeded", deleted: 1, rowsUnreadable: 0 })
      assert.deepStrictEqual(yield* rows(url, "SELECT id, platform, deleted_at IS NOT NULL AS gone FROM connections WHERE id = 'old-1'"), [
        { id: "old-1", platform: "stripe", gone: 1 }
      ])
      assert.strictEqual(yield* count(url, "SELECT 1 FROM live_connections"), (yield* mock.inventory).length)
      assert.strictEqual(yield* count(url, "SELECT 1 FROM unhealthy_connections"), (yield* mock.inventory).filter((row) =>
        row.state === "degraded" || row.state === "failed" || row.state === "unknown").length)
    }))
})
