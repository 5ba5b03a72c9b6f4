import { afterAll, assert, describe, it } from "@effect/vitest"
import { MockPica } from "@picasync/mock"
import { Effect } from "effect"
import { statSync } from "node:fs"
import { join } from "node:path"
import { isDeepStrictEqual } from "node:util"
import {
  apiEnv,
  type CliProcess,
  count,
  mirrored,
  rows,
  runLogContradictions,
  spawnCli,
  stagingTables,
  startMock,
  sync,
  tempDir,
  truth
} from "../harness.js"
import { baseSeed, figures, random, rowsDiffering, scaled } from "./Figures.js"

const tally = figures("crashes")

/** What a crash may leave, compared without the timestamps a rerun would change. */
const mirrorState = (url: string) =>
  Effect.all({
    connections: rows<{ id: string; raw: string; deleted: number }>(
      url,
      "SELECT source, id, raw, content_hash, deleted_at IS NOT NULL AS deleted FROM connections ORDER BY source, id"
    ),
    tags: rows(url, "SELECT source, connection_id, tag FROM connection_tags ORDER BY 1, 2, 3"),
    changes: rows(url, "SELECT run_id, source, connection_id, kind, changed_fields FROM connection_changes ORDER BY 1, 2, 3, 4")
  })
type MirrorState = Effect.Effect.Success<ReturnType<typeof mirrorState>>

const liveRows = (state: MirrorState) =>
  new Map(state.connections.filter((row) => !row.deleted).map((row) => [row.id, JSON.parse(row.raw)]))

/** One turn of the event loop: the mock answering the child runs in this process, so polling must let it. */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const exited = (cli: CliProcess) => cli.child.exitCode !== null || cli.child.signalCode !== null

/** Polls `condition` every turn of the event loop; false if the child exited first. */
const until = (cli: CliProcess, condition: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    while (!exited(cli)) {
      if (yield* condition) return true
      yield* nextTurn
    }
    return false
  })

const walStamp = (dbFile: string) => {
  try {
    const stat = statSync(`${dbFile}-wal`)
    return `${stat.size}:${stat.mtimeMs}`
  } catch {
    return "absent"
  }
}

const phases = ["fetching", "writing", "committing", "finishing"] as const
type Phase = (typeof phases)[number]

const leftAs = { before: 0, after: 0 }
afterAll(() => console.log(`crashes: ${leftAs.before} left the mirror as before the killed sync, ${leftAs.after} as after it`))

const INVENTORY = 3000
const PAGE = 100

/**
 * Waits for the moment `phase` names in the child's sync, then SIGKILLs it. Fetching: once `k` listing
 * pages are served. Writing: a random 0-60 ms after the last totals probe, while the mirror transaction
 * applies the staged rows (about 60 ms for this inventory). Committing: as soon as the WAL file changes
 * after that probe, which the transaction's commit does first. Finishing: a random 5-60 ms after that,
 * while the run is recorded, staging emptied and the lock released.
 */
const killWhile = (phase: Phase, cli: CliProcess, mock: MockPica.MockPicaServer, dbFile: string, seed: number) =>
  Effect.gen(function*() {
    const pick = random(seed)
    const requests = (predicate: (query: Readonly<Record<string, string>>) => boolean) =>
      Effect.map(mock.requests, (log) => log.filter((request) => predicate(request.query)).length)
    if (phase === "fetching") {
      const pages = 1 + pick.int(INVENTORY / PAGE - 1)
      assert.isTrue(yield* until(cli, Effect.map(requests((q) => q.limit === String(PAGE)), (n) => n >= pages)), "fetching")
    } else {
      // A probe of each listing after the scan.
      assert.isTrue(yield* until(cli, Effect.map(requests((q) => q.limit === "1"), (n) => n >= 2)), "the last probe")
      if (phase === "writing") {
        const at = Date.now() + pick.int(60)
        yield* until(cli, Effect.sync(() => Date.now() >= at))
      } else {
        const stamp = walStamp(dbFile)
        assert.isTrue(yield* until(cli, Effect.sync(() => walStamp(dbFile) !== stamp)), "the commit to write the WAL")
        if (phase === "finishing") {
          const at = Date.now() + 5 + pick.int(55)
          yield* until(cli, Effect.sync(() => Date.now() >= at))
        }
      }
    }
    cli.child.kill("SIGKILL")
    assert.strictEqual(yield* cli.exitCode, 137, `the kill landed before the sync finished (${phase})`)
  })

/** Changes a share of the inventory so the killed sync has thousands of rows to write. */
const changeInventory = (mock: MockPica.MockPicaServer, seed: number) =>
  Effect.gen(function*() {
    const pick = random(seed)
    const inventory = yield* mock.inventory
    for (const row of inventory) {
      const roll = pick.next()
      if (roll < 0.2) yield* Effect.orDie(mock.update(row.id, { tags: [`crash-${seed}`], state: "degraded" }))
      else if (roll < 0.21) yield* Effect.orDie(mock.remove(row.id))
      else if (roll < 0.22) yield* Effect.orDie(mock.deactivate(row.id))
    }
    for (let i = 0; i < 40; i++) yield* mock.insert({})
  })

describe("crashes: a sync SIGKILLed at any moment leaves the mirror as before or after it, never a mix", () => {
  const crashes = scaled(4, 36)
  for (let i = 0; i < crashes; i++) {
    const phase = phases[i % phases.length]!
    const seed = baseSeed + i
    it.scopedLive(`crash ${i + 1} of ${crashes}: SIGKILL while ${phase} (seed ${seed})`, () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: INVENTORY, seed })
        const dir = yield* tempDir
        const dbFile = join(dir, "mirror.db")
        const url = `file:${dbFile}`
        yield* sync({ mock, url })
        yield* changeInventory(mock, seed)
        const before = yield* mirrorState(url)

        // The state the killed sync would have left had it finished: the same sync on a copy.
        const copy = `file:${join(dir, "reference.db")}`
        yield* rows(url, `VACUUM INTO '${join(dir, "reference.db")}'`)
        yield* sync({ mock, url: copy })
        const after = yield* mirrorState(copy)
        assert.notDeepEqual(after, before)

        yield* mock.clearRequests
        const cli = yield* spawnCli(["sync", "--db", url, "--page-size", String(PAGE)], apiEnv(mock))
        yield* killWhile(phase, cli, mock, dbFile, seed)
        tally.faults++

        assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
        const left = yield* mirrorState(url)
        const asBefore = isDeepStrictEqual(left, before)
        const asAfter = isDeepStrictEqual(left, after)
        const lost = asBefore || asAfter
          ? 0
          : Math.min(rowsDiffering(liveRows(before), liveRows(left)), rowsDiffering(liveRows(after), liveRows(left)))
        tally.rowsLost += lost
        assert.isTrue(asBefore || asAfter, `the mirror is the state before or after the sync, not a mix (${lost} rows differ)`)
        leftAs[asBefore ? "before" : "after"]++
        // A run whose changes committed is recorded as succeeded with them, however late the kill came.
        assert.deepStrictEqual(yield* runLogContradictions(url), [])
        const locks = yield* rows<{ pid: number }>(url, "SELECT pid FROM sync_locks")
        assert.isTrue(locks.length === 0 || locks[0]!.pid === cli.child.pid, "only the killed sync's lock is left")

        // The lock is not stuck: the next sync takes it over at once and converges.
        const next = yield* sync({ mock, url })
        assert.strictEqual(next.status, "succeeded")
        const converged = rowsDiffering(yield* truth(mock), yield* mirrored(url))
        tally.rowsLost += converged
        assert.strictEqual(converged, 0)
        assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_runs WHERE status = 'running'"), 0)
        assert.deepStrictEqual(yield* runLogContradictions(url), [])
        assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
        assert.deepStrictEqual(yield* stagingTables(url), [])
        assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
        tally.crashes++
        tally.scenarios++
      }), 60_000)
  }
})
