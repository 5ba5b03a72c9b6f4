import { assert, describe, it } from "@effect/vitest"
import type { MockPica } from "@picasync/mock"
import { Effect } from "effect"
import { apiEnv, type CliProcess, count, mirrored, rows, spawnCli, startMock, truth, waitFor } from "../harness.js"
import { startSqld } from "../Sqld.js"
import { full } from "./Figures.js"

/** Rows whose apply on sqld lasts about a second here: long enough to stop, kill or freeze a sync inside it. */
const ROWS_APPLIED_IN_ABOUT_A_SECOND = 15_000

const env = (mock: MockPica.MockPicaServer, db: string) => ({ ...apiEnv(mock), PICASYNC_DB: db })

/** The mock the real API is like, without its limiter: these tests are about the database, not the API's pace. */
const bigMock = (count: number, seed: number, secret?: string) =>
  startMock({ count, seed, limiter: null, ...(secret === undefined ? {} : { secret }) })

const applying = (url: string, source = "test") =>
  Effect.map(count(url, "SELECT 1 FROM sync_locks WHERE source = ? AND applying_since IS NOT NULL", [source]), (n) => n > 0)

const lockHeld = (url: string) => Effect.map(count(url, "SELECT 1 FROM sync_locks"), (n) => n > 0)

const runStatuses = (url: string) =>
  Effect.map(rows<{ status: string }>(url, "SELECT status FROM sync_runs ORDER BY id"), (runs) => runs.map((run) => run.status))

/** A sqld, a mock, and a first sync of it spawned and caught in its apply. */
const caughtApplying = (seed: number) =>
  Effect.gen(function*() {
    const server = yield* startSqld()
    const mock = yield* bigMock(ROWS_APPLIED_IN_ABOUT_A_SECOND, seed)
    const cli = yield* spawnCli(["sync"], env(mock, server.url))
    yield* waitFor("the sync to apply", applying(server.url), 180)
    return { cli, mock, server }
  })

const succeeds = (cli: CliProcess) => Effect.map(cli.exitCode, (exit) => assert.strictEqual(exit, 0, cli.stderr()))

const fullOnly = it.scopedLive.skipIf(!full)

describe("a mirror on sqld under concurrent writers, signals and crashes", () => {
  // The window and SIGTERM scenarios run in the full suite (pnpm test:reliability); CI's bounded suite keeps the crash and the two sources.
  fullOnly("an apply held past sqld's 5-second window, while a second sync waits: another writer steals it once, the apply starts again, all succeed, the mirror is exact", () =>
    Effect.gen(function*() {
      const server = yield* startSqld()
      const mock = yield* bigMock(ROWS_APPLIED_IN_ABOUT_A_SECOND, 21)
      const first = yield* spawnCli(["--log-level", "debug", "sync"], env(mock, server.url))
      yield* waitFor("the first sync to hold the lock", lockHeld(server.url), 60)
      const second = yield* spawnCli(["sync", "--wait"], env(mock, server.url))
      yield* waitFor("the first apply's transaction", Effect.sync(() => first.stderr().includes(": applying in one transaction")), 180)
      // Stopped inside its transaction, the apply outlasts sqld's window on a machine of any speed.
      first.child.kill("SIGSTOP")
      const started = Date.now()
      // A writer that is not picasync waits on the apply: sqld ends the apply's transaction for it after 5 s.
      yield* rows(server.url, "CREATE TABLE another_writer (x)").pipe(Effect.ensuring(Effect.sync(() => first.child.kill("SIGCONT"))))
      assert.isAtLeast(Date.now() - started, 4_000, "the writer got in only once sqld ended the apply's transaction")
      assert.isTrue(yield* applying(server.url), "the writer got in by ending the apply's transaction, not after its commit")
      yield* succeeds(first)
      yield* succeeds(second)
      assert.include(second.stderr(), "waiting: another sync of source \"test\" is running")
      assert.deepStrictEqual(yield* runStatuses(server.url), ["succeeded", "succeeded"])
      assert.deepStrictEqual(yield* mirrored(server.url), yield* truth(mock))
      assert.strictEqual(yield* count(server.url, "SELECT 1 FROM sync_locks"), 0)
    }), { timeout: 300_000 })

  fullOnly("SIGTERM during a remote apply stops the sync within seconds; the mirror, run log and lock are left clean", () =>
    Effect.gen(function*() {
      const { cli, mock, server } = yield* caughtApplying(22)
      cli.child.kill("SIGTERM")
      const exit = yield* cli.exitCode.pipe(
        Effect.timeoutFail({ duration: "15 seconds", onTimeout: () => new Error("the sync ignored SIGTERM for 15 s") })
      )
      assert.strictEqual(exit, 130, cli.stderr())
      assert.strictEqual(yield* count(server.url, "SELECT 1 FROM connections"), 0, "the first sync's apply was rolled back")
      assert.deepStrictEqual(yield* runStatuses(server.url), ["interrupted"])
      assert.strictEqual(yield* count(server.url, "SELECT 1 FROM sync_locks"), 0)
      yield* succeeds(yield* spawnCli(["sync"], env(mock, server.url)))
      assert.deepStrictEqual(yield* mirrored(server.url), yield* truth(mock))
    }), { timeout: 300_000 })

  it.scopedLive("two sources synced at once into one server both succeed, each mirror exact", () =>
    Effect.gen(function*() {
      const server = yield* startSqld()
      const test = yield* bigMock(ROWS_APPLIED_IN_ABOUT_A_SECOND, 23)
      const live = yield* bigMock(ROWS_APPLIED_IN_ABOUT_A_SECOND, 24, "sk_live_mock_two_sources")
      const syncs = [yield* spawnCli(["sync"], env(test, server.url)), yield* spawnCli(["sync"], env(live, server.url))]
      yield* Effect.forEach(syncs, succeeds, { discard: true })
      assert.deepStrictEqual(yield* mirrored(server.url, "test"), yield* truth(test))
      assert.deepStrictEqual(yield* mirrored(server.url, "live"), yield* truth(live))
    }), { timeout: 300_000 })

  it.scopedLive("a sync SIGKILLed during its remote apply leaves the mirror as before, and the next sync proceeds", () =>
    Effect.gen(function*() {
      const { cli, mock, server } = yield* caughtApplying(25)
      cli.child.kill("SIGKILL")
      assert.strictEqual(yield* cli.exitCode, 137)
      // Old (empty) or new (complete), never part of it: the kill may land as the commit returns.
      const mirroredRows = yield* count(server.url, "SELECT 1 FROM connections")
      assert.include([0, (yield* truth(mock)).size], mirroredRows)
      // Its lock names a pid of this machine that is gone: the next sync takes it over at once, without --wait.
      yield* succeeds(yield* spawnCli(["sync"], env(mock, server.url)))
      assert.deepStrictEqual(yield* mirrored(server.url), yield* truth(mock))
      assert.deepStrictEqual((yield* runStatuses(server.url)).slice(-1), ["succeeded"])
    }), { timeout: 300_000 })
})
