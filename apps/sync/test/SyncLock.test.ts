import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Logger } from "effect"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { count, rows, sqlClient, sync, synced, waitFor } from "./harness.js"

/** Writes the lock row another sync would hold. */
const plantLock = (url: string, lock: { readonly pid: number; readonly hostname: string; readonly heartbeatAt: string }) =>
  Effect.scoped(Effect.flatMap(sqlClient(url), (client) =>
    Effect.promise(() =>
      client.execute({
        sql: "INSERT INTO sync_locks (source, holder, pid, hostname, acquired_at, heartbeat_at) VALUES ('test', 'other', ?, ?, ?, ?)",
        args: [lock.pid, lock.hostname, lock.heartbeatAt, lock.heartbeatAt]
      })
    )))

const now = () => new Date().toISOString()
const longAgo = () => new Date(Date.now() - 3_600_000).toISOString()

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!

describe("SyncLock", () => {
  it.scopedLive("a second sync of the same source fails fast while a live sync holds the lock, and records no run", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      yield* plantLock(url, { pid: process.pid, hostname: hostname(), heartbeatAt: now() })
      const error = yield* Effect.flip(sync({ mock, url }))
      assert.strictEqual(error._tag, "SyncLockHeldError")
      assert.include(error.message, `pid ${process.pid}`)
      assert.include(error.message, "let it finish")
      assert.notInclude(error.message, "--wait", "a domain error names no flag")
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_runs"), 1)
    }))

  it.scopedLive("a sync of another source is not blocked", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      yield* plantLock(url, { pid: process.pid, hostname: hostname(), heartbeatAt: now() })
      assert.strictEqual((yield* sync({ mock, url, source: "other" })).status, "succeeded")
    }))

  const takenOver: ReadonlyArray<readonly [string, () => { pid: number; hostname: string; heartbeatAt: string }]> = [
    ["whose process died on this host", () => ({ pid: deadPid(), hostname: hostname(), heartbeatAt: now() })],
    ["whose heartbeat is stale, on another host", () => ({ pid: 1, hostname: "elsewhere", heartbeatAt: longAgo() })],
    ["whose heartbeat is stale, though its pid runs here", () => ({ pid: process.pid, hostname: hostname(), heartbeatAt: longAgo() })]
  ]
  for (const [what, lock] of takenOver) {
    it.scopedLive(`a lock ${what} is taken over`, () =>
      Effect.gen(function*() {
        const { mock, url } = yield* synced(50)
        yield* plantLock(url, lock())
        assert.strictEqual((yield* sync({ mock, url })).status, "succeeded")
        assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
      }))
  }

  it.scopedLive("a fresh lock on another host is respected", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      yield* plantLock(url, { pid: 1, hostname: "elsewhere", heartbeatAt: now() })
      assert.strictEqual((yield* Effect.flip(sync({ mock, url })))._tag, "SyncLockHeldError")
    }))

  it.scopedLive("with --wait, a sync queues until the holder releases the lock", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      yield* plantLock(url, { pid: process.pid, hostname: hostname(), heartbeatAt: now() })
      const logged: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logged.push(String(message))))
      const waiting = yield* Effect.fork(Effect.provide(sync({ mock, url, wait: true }), logger))
      yield* waitFor("the sync to find the lock held", Effect.sync(() => logged.some((line) => line.startsWith("waiting: "))))
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_runs"), 1)
      yield* Effect.scoped(Effect.flatMap(sqlClient(url), (client) => Effect.promise(() => client.execute("DELETE FROM sync_locks"))))
      const run = yield* Fiber.join(waiting)
      assert.strictEqual(run.status, "succeeded")
      assert.deepStrictEqual(yield* rows(url, "SELECT count(*) AS runs FROM sync_runs"), [{ runs: 2 }])
    }))
})
