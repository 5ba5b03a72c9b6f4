import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { runCli } from "../cliInProcess.js"
import { apiEnv, startMock, sync, tempDir, truth } from "../harness.js"
import { startSqld } from "../Sqld.js"

describe("picasync query --as-of, diff, prune and sync --keep (CLI)", () => {
  it.scopedLive("with a read-only token on a libSQL server, and through a replica", () =>
    Effect.gen(function*() {
      const server = yield* startSqld({ auth: true })
      const mock = yield* startMock({ count: 40, seed: 5 })
      const admin = `${server.url}?authToken=${server.tokens!.rw}`
      const first = yield* sync({ mock, url: admin })
      const then = yield* truth(mock)
      const ids = [...then.keys()]
      yield* mock.update(ids[0]!, { state: "failed" })
      yield* mock.remove(ids[1]!)
      yield* mock.insert({})
      yield* sync({ mock, url: admin })
      const ro = { PICASYNC_DB: server.url, PICASYNC_DB_AUTH_TOKEN: server.tokens!.ro }
      const countThen = "SELECT count(*) AS n FROM live_connections"

      const asOf = yield* runCli(["query", "--as-of", first.finishedAt!, "--format", "csv", countThen], ro)
      assert.strictEqual(asOf.exitCode, 0, asOf.stderr)
      assert.strictEqual(asOf.stdout, `n\r\n${then.size}\r\n`)
      const replica = join(yield* tempDir, "replica.db")
      const throughReplica = yield* runCli(["query", "--replica", replica, "--as-of", first.finishedAt!, "--format", "csv", countThen], ro)
      assert.strictEqual(throughReplica.exitCode, 0, throughReplica.stderr)
      assert.strictEqual(throughReplica.stdout, asOf.stdout)

      const diff = yield* runCli(["diff", "--from", first.finishedAt!, "--format", "json"], ro)
      assert.strictEqual(diff.exitCode, 0, diff.stderr)
      const rows = JSON.parse(diff.stdout) as Array<{ kind: string; id: string; changes: Array<{ field: string; before: unknown; after: unknown }> }>
      assert.deepStrictEqual(rows.map((row) => row.kind).sort(), ["deleted", "inserted", "updated"])
      const updated = rows.find((row) => row.kind === "updated")!
      assert.strictEqual(updated.id, ids[0])
      assert.deepStrictEqual(updated.changes, [{ field: "state", before: then.get(ids[0]!)!.state, after: "failed" }])

      const early = yield* runCli(["query", "--as-of", "1d", countThen], ro)
      assert.strictEqual(early.exitCode, 1)
      assert.match(early.stderr, /^picasync: no history at \S+: the earliest moment available is \S+, for source test: its first sync\n$/)
      const unreadable = yield* runCli(["query", "--as-of", "last monday", countThen], ro)
      assert.strictEqual(unreadable.exitCode, 2)
      assert.include(unreadable.stderr, "--as-of takes an ISO 8601 instant")

      const dryRun = yield* runCli(["prune", "--keep", "30d", "--dry-run"], { ...ro, PICASYNC_DB_AUTH_TOKEN: server.tokens!.rw })
      assert.strictEqual(dryRun.exitCode, 0, dryRun.stderr)
      assert.match(dryRun.stdout, /^would remove 0 runs, 0 changes, 0 closed versions, 0 delivered notifications and 0 unreadable-row records older than /)
    }), 60_000)

  it.scopedLive("sync --keep prunes after a successful run; prune on a file prints what it removed", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 20, seed: 9 })
      const db = join(yield* tempDir, "mirror.db")
      const env = { ...apiEnv(mock), PICASYNC_DB: db }
      const synced = yield* runCli(["sync", "--keep", "30d"], env)
      assert.strictEqual(synced.exitCode, 0, synced.stderr)
      assert.include(synced.stderr, "removed 0 runs, 0 changes, 0 closed versions")
      const pruned = yield* runCli(["prune", "--keep", "1s"], env)
      assert.strictEqual(pruned.exitCode, 0, pruned.stderr)
      assert.match(pruned.stdout, /^removed \d+ runs, \d+ changes, \d+ closed versions/)
      const bad = yield* runCli(["prune", "--keep", "forever"], env)
      assert.strictEqual(bad.exitCode, 2)
      assert.include(bad.stderr, "--keep takes an interval")
    }), 60_000)
})
