import { assert, describe, it } from "@effect/vitest"
import { MockPica } from "@picasync/mock"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { MirrorDatabase } from "../../src/db/MirrorDatabase.js"
import * as Query from "../../src/query/Query.js"
import {
  apiEnv,
  type CliProcess,
  count,
  mirrored,
  rows,
  spawnCli,
  startMock,
  synced,
  tempDatabase,
  truth
} from "../harness.js"
import { baseSeed, figures, random, rowsDiffering, scaled } from "./Figures.js"

const tally = figures("concurrency")


/** Each process with its exit code and when it exited. */
const exits = (clis: ReadonlyArray<CliProcess>) =>
  Effect.forEach(clis, (cli) => Effect.map(cli.exitCode, (code) => ({ cli, code, at: Date.now() })), { concurrency: "unbounded" })

/** No connection has two changes from one run, and every change belongs to a run that succeeded. */
const appliedOnce = (url: string) =>
  Effect.gen(function*() {
    assert.strictEqual(
      yield* count(url, "SELECT run_id, connection_id FROM connection_changes GROUP BY 1, 2 HAVING count(*) > 1"),
      0,
      "no change recorded twice"
    )
    assert.strictEqual(
      yield* count(url, "SELECT 1 FROM connection_changes WHERE run_id NOT IN (SELECT id FROM sync_runs WHERE status = 'succeeded')"),
      0
    )
  })

const converged = (url: string, mock: MockPica.MockPicaServer) =>
  Effect.gen(function*() {
    const lost = rowsDiffering(yield* truth(mock), yield* mirrored(url))
    tally.rowsLost += lost
    assert.strictEqual(lost, 0)
    assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
    assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
  })

const rounds = scaled([2, 4], [2, 3, 4, 2, 3, 4])

describe("concurrency: syncs of the same database and source at once apply exactly once", () => {
  rounds.forEach((syncs, round) => {
    const fresh = round % 2 === 0
    const seed = baseSeed + 100 + round
    it.scopedLive(`${syncs} syncs at once on a ${fresh ? "fresh" : "synced"} database: one applies, the others fail fast (seed ${seed})`, () =>
      Effect.gen(function*() {
        const setup = fresh
          ? { mock: yield* startMock({ count: 800, seed }), url: yield* tempDatabase }
          : yield* synced(800, seed)
        const { mock, url } = setup
        if (!fresh) for (let i = 0; i < 5; i++) yield* mock.insert({})
        // Opening a fresh path with a client would create the file: count the runs of a synced one only.
        const runsBefore = fresh ? 0 : yield* count(url, "SELECT 1 FROM sync_runs")
        // Slow answers keep the winner inside its scan for seconds, longer than the others take to start.
        yield* mock.setFaults({ latency: 300 })
        const clis = yield* Effect.forEach(
          Array.from({ length: syncs }),
          () => spawnCli(["sync", "--db", url, "--concurrency", "2"], apiEnv(mock)),
          { concurrency: "unbounded" }
        )
        tally.faults += syncs - 1
        const ended = yield* exits(clis)
        const winners = ended.filter((end) => end.code === 0)
        assert.strictEqual(winners.length, 1, ended.map((end) => `${end.code}: ${end.cli.stderr()}`).join("\n"))
        for (const loser of ended.filter((end) => end.code !== 0)) {
          assert.strictEqual(loser.code, 1)
          assert.match(loser.cli.stderr().trim(), /^picasync: another sync of source "test" is running \(pid \d+/)
          assert.strictEqual(loser.cli.stderr().trim().split("\n").length, 1)
          assert.isBelow(loser.at, winners[0]!.at, "a loser fails fast, before the winner is done")
        }
        assert.deepStrictEqual(
          yield* rows(url, "SELECT status FROM sync_runs WHERE id > ?", [runsBefore]),
          [{ status: "succeeded" }],
          "only the winner records a run"
        )
        yield* appliedOnce(url)
        yield* converged(url, mock)
        tally.scenarios++
      }), 60_000)
  })

  it.scopedLive(`${scaled(3, 4)} syncs at once with --wait queue one behind the other; only the first has anything to apply`, () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 600, seed: baseSeed + 200 })
      const url = yield* tempDatabase
      yield* mock.setFaults({ latency: 10 })
      const syncs = scaled(3, 4)
      const clis = yield* Effect.forEach(
        Array.from({ length: syncs }),
        () => spawnCli(["sync", "--db", url, "--wait"], apiEnv(mock)),
        { concurrency: "unbounded" }
      )
      tally.faults += syncs - 1
      const ended = yield* exits(clis)
      assert.deepStrictEqual(ended.map((end) => end.code), ended.map(() => 0), ended.map((end) => end.cli.stderr()).join("\n"))
      // The realistic mock counts a few rows in `total` it never lists (docs/pica-api.md): no sync can insert those.
      const listed = (yield* mock.inventory).length
      const runs = yield* rows<{ status: string; inserted: number; updated: number; deleted: number; started_at: string; finished_at: string }>(
        url,
        "SELECT status, inserted, updated, deleted, started_at, finished_at FROM sync_runs ORDER BY id"
      )
      assert.strictEqual(runs.length, syncs)
      assert.deepStrictEqual(runs.map((run) => [run.status, run.inserted, run.updated, run.deleted]), [
        ["succeeded", listed, 0, 0],
        ...Array.from({ length: syncs - 1 }, () => ["succeeded", 0, 0, 0])
      ])
      runs.slice(1).forEach((run, i) =>
        assert.isAtLeast(Date.parse(run.started_at), Date.parse(runs[i]!.finished_at), "runs do not overlap")
      )
      yield* appliedOnce(url)
      yield* converged(url, mock)
      tally.scenarios++
    }), 60_000)

  it.scopedLive("a query during a sync sees the mirror before or after it, never a mix", () =>
    Effect.gen(function*() {
      const seed = baseSeed + 300
      const { mock, url } = yield* synced(2000, seed)
      const pick = random(seed)
      for (const row of yield* mock.inventory) {
        const roll = pick.next()
        if (roll < 0.25) yield* Effect.orDie(mock.update(row.id, { tags: ["during-a-sync"] }))
        else if (roll < 0.27) yield* Effect.orDie(mock.remove(row.id))
      }
      for (let i = 0; i < 30; i++) yield* mock.insert({})

      // One statement reads one snapshot: the live rows' content, the tag rows and the change log, together.
      const fingerprintSql = `SELECT
        (SELECT group_concat(id || ':' || content_hash, ',') FROM (SELECT id, content_hash FROM connections WHERE deleted_at IS NULL ORDER BY id)) AS live,
        (SELECT group_concat(connection_id || ':' || tag, ',') FROM (SELECT connection_id, tag FROM connection_tags ORDER BY 1, 2)) AS tags,
        (SELECT count(*) FROM connection_changes) AS changes,
        (SELECT count(*) FROM sync_locks) AS locked`
      const fingerprint = Effect.map(Query.run(fingerprintSql), (result) => {
        const [live, tags, changes, locked] = result.rows[0]!
        return { locked: locked === 1, hash: createHash("sha256").update(JSON.stringify([live, tags, changes])).digest("hex") }
      })
      const { hash: readBefore } = yield* fingerprint.pipe(Effect.provide(MirrorDatabase.layer({ url, mustExist: true })))

      yield* mock.setFaults({ latency: 15 })
      const cli = yield* spawnCli(["sync", "--db", url, "--concurrency", "2"], apiEnv(mock))
      const seen = new Map<string, number>()
      let during = 0
      yield* Effect.gen(function*() {
        while (cli.child.exitCode === null) {
          const observed = yield* fingerprint
          seen.set(observed.hash, (seen.get(observed.hash) ?? 0) + 1)
          if (observed.locked) during++
          // A turn of the event loop: the mock answering the sync runs in this process.
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        }
      }).pipe(Effect.provide(MirrorDatabase.layer({ url, mustExist: true })))
      assert.strictEqual(yield* cli.exitCode, 0, cli.stderr())
      const { hash: readAfter } = yield* fingerprint.pipe(Effect.provide(MirrorDatabase.layer({ url, mustExist: true })))
      assert.notStrictEqual(readAfter, readBefore)
      assert.isAbove(during, 0, "queries ran while the sync held its lock")
      for (const [observed, times] of seen) {
        assert.isTrue(observed === readBefore || observed === readAfter, `a query saw a mix of old and new (${times} times)`)
      }
      // Every read that ran while the sync held its lock competed with it.
      tally.faults += during
      tally.scenarios++
      yield* converged(url, mock)
    }), 60_000)
})
