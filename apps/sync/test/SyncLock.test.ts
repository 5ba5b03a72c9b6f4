import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Logger } from "effect"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import * as Machine from "../src/Machine.js"
import { backends, count, rows, sqlClient, sync, synced, waitFor } from "./harness.js"

interface PlantedLock {
  readonly pid: number
  readonly hostname: string
  /** `Machine.id()` of the holder; null as a lock written before machines were recorded. */
  readonly machine: string | null
  readonly heartbeatAt: string
}

/** Writes the lock row another sync would hold. */
const plantLock = (url: string, lock: PlantedLock) =>
  Effect.scoped(Effect.flatMap(sqlClient(url), (client) =>
    Effect.promise(() =>
      client.execute({
        sql: "INSERT INTO sync_locks (source, holder, pid, hostname, machine, acquired_at, heartbeat_at) VALUES ('test', 'other', ?, ?, ?, ?, ?)",
        args: [lock.pid, lock.hostname, lock.machine, lock.heartbeatAt, lock.heartbeatAt]
      })
    )))

/** This machine's clock, `offset` milliseconds off: the lock must judge staleness on the database's clock instead. */
const skewedClock = (offset: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => Date.now() + offset,
  unsafeCurrentTimeNanos: () => BigInt(Date.now() + offset) * 1_000_000n,
  currentTimeMillis: Effect.sync(() => Date.now() + offset),
  currentTimeNanos: Effect.sync(() => BigInt(Date.now() + offset) * 1_000_000n),
  sleep: (duration) => Effect.sleep(duration).pipe(Effect.withClock(Clock.make()))
})

const now = () => new Date().toISOString()
const longAgo = () => new Date(Date.now() - 3_600_000).toISOString()

/** A process running on this machine that is not this one: the one that started the test runner. */
const livePid = process.ppid

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!

describe.each(backends)("SyncLock over $name", ({ database }) => {
  it.scopedLive("a second sync of the same source fails fast while a live sync holds the lock, and records no run", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50, 1, { database })
      yield* plantLock(url, { pid: livePid, hostname: hostname(), machine: Machine.id(), heartbeatAt: now() })
      const error = yield* Effect.flip(sync({ mock, url }))
      assert.strictEqual(error._tag, "SyncLockHeldError")
      assert.include(error.message, `pid ${livePid}`)
      assert.include(error.message, "let it finish")
      assert.notInclude(error.message, "--wait", "a domain error names no flag")
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_runs"), 1)
    }))

  it.scopedLive("a sync of another source is not blocked", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50, 1, { database })
      yield* plantLock(url, { pid: livePid, hostname: hostname(), machine: Machine.id(), heartbeatAt: now() })
      assert.strictEqual((yield* sync({ mock, url, source: "other" })).status, "succeeded")
    }))

  const takenOver: ReadonlyArray<readonly [string, () => PlantedLock]> = [
    ["whose process died on this machine", () => ({ pid: deadPid(), hostname: hostname(), machine: Machine.id(), heartbeatAt: now() })],
    ["whose heartbeat is stale, on another machine", () => ({ pid: 1, hostname: "elsewhere", machine: "another", heartbeatAt: longAgo() })],
    [
      "whose heartbeat is stale, though its pid runs here",
      () => ({ pid: livePid, hostname: hostname(), machine: Machine.id(), heartbeatAt: longAgo() })
    ],
    // Its release could not be written (a full disk): the process's next sync need not wait for it to go stale.
    ["this process no longer holds", () => ({ pid: process.pid, hostname: hostname(), machine: Machine.id(), heartbeatAt: now() })]
  ]
  for (const [what, lock] of takenOver) {
    it.scopedLive(`a lock ${what} is taken over`, () =>
      Effect.gen(function*() {
        const { mock, url } = yield* synced(50, 1, { database })
        yield* plantLock(url, lock())
        assert.strictEqual((yield* sync({ mock, url })).status, "succeeded")
        assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
      }))
  }

  const respected: ReadonlyArray<readonly [string, () => PlantedLock]> = [
    ["on another machine", () => ({ pid: 1, hostname: "elsewhere", machine: "another", heartbeatAt: now() })],
    // Its pid means nothing here: a machine of the same name, or a container of this host.
    ["on another machine of the same hostname, whose pid is not running here", () => ({ pid: deadPid(), hostname: hostname(), machine: "another", heartbeatAt: now() })],
    ["written before machines were recorded, whose pid is not running here", () => ({ pid: deadPid(), hostname: hostname(), machine: null, heartbeatAt: now() })]
  ]
  for (const [what, lock] of respected) {
    it.scopedLive(`a fresh lock ${what} is respected`, () =>
      Effect.gen(function*() {
        const { mock, url } = yield* synced(50, 1, { database })
        yield* plantLock(url, lock())
        assert.strictEqual((yield* Effect.flip(sync({ mock, url })))._tag, "SyncLockHeldError")
      }))
  }

  it.scopedLive("staleness is judged on the database's clock: a machine an hour ahead still respects a fresh lock", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50, 1, { database })
      yield* plantLock(url, { pid: 1, hostname: "elsewhere", machine: "another", heartbeatAt: now() })
      const error = yield* Effect.flip(Effect.withClock(sync({ mock, url }), skewedClock(3_600_000)))
      assert.strictEqual(error._tag, "SyncLockHeldError")
    }))

  it.scopedLive("a sync waiting on another source's apply ends with a typed error at the database's timeout, having written nothing", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50, 1, { database })
      yield* Effect.scoped(Effect.flatMap(sqlClient(url), (client) =>
        Effect.promise(() =>
          client.execute({
            sql: `INSERT INTO sync_locks (source, holder, pid, hostname, machine, acquired_at, heartbeat_at, applying_since)
              VALUES ('other', 'other', 1, 'elsewhere', 'another', ?, ?, ?)`,
            args: [now(), now(), now()]
          })
        )))
      const error = yield* Effect.flip(sync({ mock, url, dbTimeout: "1 second" }))
      assert.strictEqual(error._tag, "ApplyWaitTimeoutError")
      assert.include(error.message, `for the sync of source "other" to finish applying`)
      assert.deepStrictEqual(yield* rows(url, "SELECT status FROM sync_runs ORDER BY id"), [{ status: "succeeded" }])
    }))

  it.scopedLive("with --wait, a sync queues until the holder releases the lock", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50, 1, { database })
      yield* plantLock(url, { pid: livePid, hostname: hostname(), machine: Machine.id(), heartbeatAt: now() })
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
