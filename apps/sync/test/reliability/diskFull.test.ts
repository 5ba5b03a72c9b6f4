import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Logger, LogLevel } from "effect"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { isDeepStrictEqual } from "node:util"
import { DatabaseDiskFull } from "../../src/db/DatabaseError.js"
import * as Progress from "../../src/Progress.js"
import type { SyncRun } from "../../src/SyncRun.js"
import {
  apiEnv,
  count,
  mirrored,
  rows,
  runLogContradictions,
  spawnCli,
  stagingTables,
  startMock,
  sync,
  truth
} from "../harness.js"
import { cannotMount, mountTmpfs, type Tmpfs } from "../Tmpfs.js"
import { figures } from "./Figures.js"

const tally = figures("storage")

/** Room for both inventories, their staging and the log; the ballast takes whatever is left. */
const TMPFS_MEGABYTES = 24
const BEFORE = 300
const ADDED = 1_500


/** A disk-full message: the database's path, the space left, and the mirror unchanged. */
const diskFull = (file: string) =>
  new RegExp(`the disk holding ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is full \\(\\d+(\\.\\d)? (B|KiB) free\\); the mirror is unchanged`)

/** The counts a run taking the mirror from `before` to `after` records. */
const changesBetween = (before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>) => ({
  inserted: [...after.keys()].filter((id) => !before.has(id)).length,
  updated: [...after].filter(([id, row]) => before.has(id) && !isDeepStrictEqual(before.get(id), row)).length,
  deleted: [...before.keys()].filter((id) => !after.has(id)).length,
  restored: 0
})

/** How the failed runs ended up recorded, printed once the file is done. */
const recorded = { failed: 0, unrecorded: 0 }
afterAll(() => console.log(`disk full: ${recorded.failed} failed runs recorded as failed, ${recorded.unrecorded} left running (logged)`))

/** A mirror on a small tmpfs holding a first sync, and a mock whose inventory has since grown and changed. */
const mirrorOnTmpfs = Effect.gen(function*() {
  const tmpfs = yield* mountTmpfs(TMPFS_MEGABYTES)
  const file = join(tmpfs.dir, "mirror.db")
  const url = `file:${file}`
  const mock = yield* startMock({ count: BEFORE, seed: 61 })
  yield* sync({ mock, url })
  const before = yield* truth(mock)
  const ids = [...before.keys()]
  for (const id of ids.slice(0, 20)) yield* Effect.orDie(mock.update(id, { state: "degraded" }))
  for (const id of ids.slice(20, 25)) yield* Effect.orDie(mock.remove(id))
  for (let i = 0; i < ADDED; i++) yield* mock.insert({})
  return { tmpfs, file, url, mock, before, after: yield* truth(mock) }
})

/** Log lines of the sync, debug ones included, each handed to `hook` as it is written. */
const capturingLogs = (lines: Array<string>, hook: (line: string) => void) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message }) => {
      const line = (Array.isArray(message) ? message : [message]).map(String).join(" ")
      lines.push(line)
      hook(line)
    })
  )

/** Progress that fills the disk as the listing starts, before any row is staged. */
const fillingAtFetch = (tmpfs: Tmpfs): Progress.Service => ({
  begin: (label) => Effect.sync(() => label === "fetching" && tmpfs.fill()),
  advance: () => Effect.void,
  end: Effect.void
})

type Moment = "staging" | "applying" | "committed"

/** One sync of the changed inventory, the disk filled at `moment`; its exit and its log lines. */
const syncFillingAt = (moment: Moment, setup: Effect.Effect.Success<typeof mirrorOnTmpfs>) =>
  Effect.gen(function*() {
    const { mock, tmpfs, url } = setup
    const lines: Array<string> = []
    const trigger = moment === "applying" ? "applying in one transaction" : "committed, with its record"
    const logs = capturingLogs(lines, (line) => moment !== "staging" && line.includes(trigger) && tmpfs.fill())
    const progress = moment === "staging" ? Layer.succeed(Progress.Progress, fillingAtFetch(tmpfs)) : Progress.silent
    const exit = yield* sync({ mock, url }).pipe(
      Effect.provide(Layer.merge(progress, logs)),
      Logger.withMinimumLogLevel(LogLevel.Debug),
      Effect.exit
    )
    assert.isTrue(tmpfs.filled(), `the disk was filled while ${moment}`)
    tally.faults++
    return { exit, lines }
  })

/**
 * Frees the space, then syncs again in this process, which takes over a lock whose release the full disk
 * kept from being written: it must converge exactly, and the log must still agree with the mirror.
 */
const recovers = (setup: Effect.Effect.Success<typeof mirrorOnTmpfs>) =>
  Effect.gen(function*() {
    const { mock, tmpfs, url } = setup
    tmpfs.free()
    const next = yield* sync({ mock, url })
    assert.strictEqual(next.status, "succeeded")
    assert.deepStrictEqual(yield* mirrored(url), setup.after, "the next sync is exact")
    assert.deepStrictEqual(yield* runLogContradictions(url), [])
    assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_runs WHERE status = 'running'"), 0)
    assert.deepStrictEqual(yield* stagingTables(url), [])
    assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
    tally.scenarios++
  })

describe.skipIf(cannotMount !== undefined)(
  `a full disk: one clear error, the mirror one of the two inventories, a run log that agrees with it${
    cannotMount === undefined ? "" : ` (skipped: ${cannotMount})`
  }`,
  () => {
    // The write that meets the full disk: a batch of staged rows, or the apply's statements or commit.
    const failingWrite = { staging: /^staging$/, applying: /^mirror / }
    for (const moment of ["staging", "applying"] as const) {
      it.scopedLive(`filled while ${moment}: the run fails with the disk-full error and the mirror is as before`, () =>
        Effect.gen(function*() {
          const setup = yield* mirrorOnTmpfs
          const { exit, lines } = yield* syncFillingAt(moment, setup)
          const error = Exit.match(exit, { onSuccess: () => undefined, onFailure: Cause.squash })
          assert.instanceOf(error, DatabaseDiskFull, `the run failed for the full disk: ${String(error)}`)
          assert.match((error as DatabaseDiskFull).message, diskFull(setup.file))
          assert.match((error as DatabaseDiskFull).operation, failingWrite[moment])
          assert.deepStrictEqual(yield* mirrored(setup.url), setup.before)
          assert.deepStrictEqual(yield* runLogContradictions(setup.url), [])
          // Recorded as failed, or left running when the full disk took even that record, which is then logged.
          const [run] = yield* rows<{ status: string; error: string | null }>(setup.url, "SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1")
          if (run!.status === "failed") assert.match(run!.error!, diskFull(setup.file))
          else {
            assert.strictEqual(run!.status, "running")
            assert.isTrue(lines.some((line) => /^could not record the end of run \d+: /.test(line) && diskFull(setup.file).test(line)), lines.join("\n"))
          }
          recorded[run!.status === "failed" ? "failed" : "unrecorded"]++
          yield* recovers(setup)
        }), 60_000)
    }

    it.scopedLive("filled right after the apply commits: the run is recorded as succeeded with its counts, which agree with the mirror", () =>
      Effect.gen(function*() {
        const setup = yield* mirrorOnTmpfs
        const { exit, lines } = yield* syncFillingAt("committed", setup)
        assert.isTrue(Exit.isSuccess(exit), `the run succeeded: ${lines.join("\n")}`)
        const run = (exit as Exit.Success<SyncRun, unknown>).value
        assert.strictEqual(run.status, "succeeded")
        assert.deepInclude(run, changesBetween(setup.before, setup.after))
        // The disk was full after the commit: what follows it (the lock's release) was written where the write-ahead
        // log had room, or says it could not be.
        const [locks] = yield* rows<{ held: number }>(setup.url, "SELECT count(*) AS held FROM sync_locks")
        assert.isTrue(locks?.held === 0 || lines.some((line) => diskFull(setup.file).test(line)), lines.join("\n"))
        assert.deepStrictEqual(yield* mirrored(setup.url), setup.after)
        assert.deepStrictEqual(yield* runLogContradictions(setup.url), [])
        const [recorded] = yield* rows<{ status: string }>(setup.url, "SELECT status FROM sync_runs WHERE id = ?", [run.id])
        assert.strictEqual(recorded!.status, "succeeded")
        yield* recovers(setup)
      }), 60_000)

    it.scopedLive("a sync started on a full disk fails in one line naming the database, exit 1, nothing on stdout", () =>
      Effect.gen(function*() {
        const setup = yield* mirrorOnTmpfs
        setup.tmpfs.fill()
        const cli = yield* spawnCli(["sync", "--db", setup.file], apiEnv(setup.mock))
        assert.strictEqual(yield* cli.exitCode, 1, cli.stderr())
        const stderr = cli.stderr().trimEnd().split("\n")
        assert.strictEqual(stderr.length, 1, cli.stderr())
        assert.match(stderr[0]!, /^picasync: database .+ failed: /)
        assert.match(stderr[0]!, diskFull(setup.file))
        assert.strictEqual(cli.stdout(), "")
        assert.deepStrictEqual(yield* mirrored(setup.url), setup.before)
        tally.faults++
        yield* recovers(setup)
      }), 60_000)
  }
)

describe.skipIf(cannotMount !== undefined)(
  `the report and the metrics file on a full disk: one clear error, no partial file${cannotMount === undefined ? "" : ` (skipped: ${cannotMount})`}`,
  () => {
    it.scopedLive("picasync report --out on a full disk exits 1 in one line and leaves nothing behind", () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: 50, seed: 62 })
        const dbDir = yield* mountTmpfs(8)
        const db = join(dbDir.dir, "mirror.db")
        yield* sync({ mock, url: `file:${db}` })
        const out = yield* mountTmpfs(1)
        out.fill()
        const target = join(out.dir, "report.html")
        const cli = yield* spawnCli(["report", "--db", db, "--out", target])
        assert.strictEqual(yield* cli.exitCode, 1, cli.stderr())
        assert.deepStrictEqual(cli.stderr().trimEnd().split("\n"), [
          `picasync: could not write the report to ${target}: the disk is full (0 B free) (--out)`
        ])
        assert.deepStrictEqual(readdirSync(out.dir), ["ballast"])
        tally.faults++
        tally.scenarios++
      }), 60_000)

    it.scopedLive("picasync sync --metrics-file on a full disk: the sync stands, one error line, no partial file", () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: 50, seed: 63 })
        const dbDir = yield* mountTmpfs(8)
        const db = join(dbDir.dir, "mirror.db")
        const metrics = yield* mountTmpfs(1)
        metrics.fill()
        const target = join(metrics.dir, "picasync.prom")
        const cli = yield* spawnCli(["sync", "--db", db, "--metrics-file", target], apiEnv(mock))
        assert.strictEqual(yield* cli.exitCode, 0, cli.stderr())
        assert.match(cli.stdout(), /^run 1 \(test\) succeeded/)
        const errors = cli.stderr().trimEnd().split("\n").filter((line) => !/^\S+ info /.test(line))
        assert.strictEqual(errors.length, 1, cli.stderr())
        assert.match(errors[0]!, new RegExp(`error --metrics-file \\(or PICASYNC_METRICS_FILE\\): could not write the metrics file ${target}: the disk is full \\(0 B free\\)$`))
        assert.deepStrictEqual(readdirSync(metrics.dir), ["ballast"])
        assert.deepStrictEqual(yield* mirrored(`file:${db}`), yield* truth(mock))
        tally.faults++
        tally.scenarios++
      }), 60_000)
  }
)
