import { assert, describe, it } from "@effect/vitest"
import { NodeContext } from "@effect/platform-node"
import { Cause, ConfigProvider, Effect, type Exit } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { exitCode, main } from "../../src/cli/Main.js"
import { runCli } from "../cliInProcess.js"
import {
  apiEnv,
  count,
  mirrored,
  mirrorSnapshot,
  rows,
  spawnCli,
  stagedRows,
  stagingTables,
  startMock,
  sync,
  synced,
  tempDir,
  truth,
  waitFor
} from "../harness.js"


const runStatuses = (url: string) =>
  Effect.map(rows<{ status: string }>(url, "SELECT status FROM sync_runs ORDER BY id"), (runs) => runs.map((run) => run.status))

describe("picasync sync (CLI)", () => {
  it.scopedLive("a usage error exits 2 with its message on stderr, before any database is created", () =>
    Effect.gen(function*() {
      const db = join(yield* tempDir, "never.db")
      const cli = yield* runCli(["sync", "--db", db])
      assert.strictEqual(cli.exitCode, 2)
      assert.include(cli.stderr, "picasync: PICA_SECRET_KEY is not set")
      assert.isFalse(existsSync(db))
    }))

  it.scopedLive("every malformed flag or variable is a usage error naming it, found before the database is opened", () =>
    Effect.gen(function*() {
      const db = join(yield* tempDir, "never.db")
      const secret = { PICA_SECRET_KEY: "sk_test_x" }
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, string]> = [
        [[], {}, "PICA_SECRET_KEY"],
        [["--base-url", "api.picaos.com"], secret, "--base-url"],
        [[], { ...secret, PICA_BASE_URL: "ftp://x" }, "PICA_BASE_URL"],
        [["--auth-header", "x pica"], secret, "--auth-header"],
        [["--db", "postgres://x/y"], secret, "--db"],
        [[], { ...secret, PICA_BASE_URL: "localhost:4010" }, "PICA_BASE_URL"],
        [["--concurrency", "0"], secret, "--concurrency"],
        [["--concurrency", "-2"], secret, "--concurrency"],
        [["--page-size", "-5"], secret, "--page-size"],
        [["--page-size", "0"], secret, "--page-size"],
        [["--source", "a b"], secret, "--source"],
        [["--watch", "soon"], secret, "--watch"],
        [["--retry-for", "forever"], secret, "--retry-for"],
        [[], { ...secret, PICASYNC_RETRY_FOR: "0s" }, "PICASYNC_RETRY_FOR"],
        [["--retry-max-delay", "20"], secret, "--retry-max-delay"],
        [["--retry-for", "30s", "--retry-max-delay", "1m"], secret, "--retry-max-delay"],
        [[], { ...secret, HTTPS_PROXY: "ftp://user:hunter2@proxy" }, "HTTPS_PROXY"]
      ]
      for (const [args, env, named] of cases) {
        const database = args.includes("--db") ? [] : ["--db", db]
        const exit = yield* main(["node", "picasync", "sync", ...database, ...args]).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
          Effect.provide(NodeContext.layer),
          Effect.exit
        )
        assert.strictEqual(exitCode(exit), 2, named)
        assert.include(String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)), named)
      }
      const unknownFlag = yield* Effect.exit(Effect.provide(main(["node", "picasync", "sync", "--no-such-flag"]), NodeContext.layer))
      assert.strictEqual(exitCode(unknownFlag), 2)
      assert.isFalse(existsSync(db))
    }))

  it.scopedLive("behind a proxy the environment names, the sync goes through it: a dead one fails the run, never bypassed", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 20 })
      const dir = yield* tempDir
      const cli = yield* runCli(
        ["sync", "--db", join(dir, "mirror.db"), "--retry-for", "1s", "--retry-max-delay", "1s"],
        { ...apiEnv(mock), HTTP_PROXY: "http://user:hunter2@127.0.0.1:9" }
      )
      assert.strictEqual(cli.exitCode, 1)
      assert.include(cli.stderr, "127.0.0.1:9")
      assert.notInclude(cli.stderr, "hunter2")
      assert.deepStrictEqual(yield* mock.requests, [], "nothing reached the API directly")
    }))

  it.scopedLive("a wrong base URL shows within seconds: a warning per retried request, then the one-line error once --retry-for alone is spent", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const cases = [["http://127.0.0.1:9", "connection refused"], ["http://picasync-test.invalid", "host not found"]] as const
      yield* Effect.forEach(cases, ([baseUrl, failed], index) =>
        Effect.gen(function*() {
          const url = `file:${join(dir, `mirror-${index}.db`)}`
          const cli = yield* runCli(["sync", "--db", url, "--retry-for", "2s"], { PICA_SECRET_KEY: "sk_test_x", PICA_BASE_URL: baseUrl })
          assert.strictEqual(cli.exitCode, 1, cli.stderr)
          const lines = cli.stderr.trim().split("\n")
          const warning = new RegExp(
            `^(\\S+) warn GET ${baseUrl}/v1/vault/connections\\?.*: ${failed} \\(attempt 1\\); next try in \\d+\\.\\d s, (\\d+s|under 1s) of the retry budget left$`
          )
          const first = warning.exec(lines[0]!)
          assert.isNotNull(first, lines[0])
          // Counted from the run's start, not the process's: loading the CLI from its TypeScript sources takes seconds here.
          const [run] = yield* rows<{ started_at: string; error: string }>(url, "SELECT started_at, error FROM sync_runs")
          assert.isAtMost(Date.parse(first![1]!) - Date.parse(run!.started_at), 5_000)
          assert.match(lines.at(-1)!, new RegExp(`^picasync: GET ${baseUrl}/.* failed after \\d+ attempts: `))
          assert.strictEqual(lines.filter((line) => line.startsWith("picasync:")).length, 1)
          assert.include(run!.error, "failed after")
        }), { concurrency: 2, discard: true })
    }), { timeout: 60_000 })

  it.scopedLive("on a terminal, a retried request is logged above the bar, which says it is waiting for the API until the next page", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 1_500, faults: { errors: { every: 4, statuses: [503] } } })
      const dir = yield* tempDir
      const cli = yield* spawnCli(["sync", "--db", join(dir, "mirror.db"), "--concurrency", "1"], apiEnv(mock), { terminal: true })
      assert.strictEqual(yield* cli.exitCode, 0, cli.stdout())
      const screen = cli.stdout()
      // Each warning clears the bar's line first, then the bar is drawn again under it.
      assert.match(screen, /\r\x1b\[K\S+ warn GET \S+: answered 503 \(attempt 1\); next try in [^\r\n]+\r\n\r\x1b\[Kfetching \[/)
      assert.notMatch(screen, /rows\/s[^\r\n]*\d{4}-\d\d-\d\dT/, "a log line written over the bar")
      const [, next] = /waiting for the API: answered 503\r\x1b\[K(fetching [^\r]*)/.exec(screen) ?? []
      assert.isDefined(next, "the bar said it was waiting, then drew the next page")
      assert.notInclude(next, "waiting", "the next page ends the wait")
      assert.match(screen, /run 1 \(test\) succeeded/)
      assert.deepStrictEqual(yield* mirrored(`file:${join(dir, "mirror.db")}`), yield* truth(mock))
    }))

  it.scopedLive("two syncs at once: the second fails fast naming the holder; with --wait it queues and runs", () =>
    Effect.gen(function*() {
      // Slow answers keep the first sync inside its scan (about 45 s of pages) until the others have had their turn,
      // however slowly they start; clearing the faults then lets it finish at once.
      const mock = yield* startMock({ count: 3_000, faults: { latency: 1500 } })
      const dir = yield* tempDir
      const url = `file:${join(dir, "mirror.db")}`
      const start = (extra: ReadonlyArray<string> = []) =>
        spawnCli(["sync", "--db", url, "--concurrency", "1", ...extra], apiEnv(mock))
      const first = yield* start()
      yield* waitFor("the first sync to take the lock", Effect.map(count(url, "SELECT 1 FROM sync_locks"), (locks) => locks === 1))
      const second = yield* start()
      const queued = yield* start(["--wait"])
      assert.strictEqual(yield* second.exitCode, 1)
      assert.include(second.stderr(), `another sync of source "test" is running (pid ${first.child.pid}`)
      assert.include(second.stderr(), "or pass --wait to queue behind it")
      yield* waitFor("the queued sync to wait", Effect.sync(() => queued.stderr().includes("waiting: ")))
      yield* mock.clearFaults
      assert.strictEqual(yield* first.exitCode, 0)
      assert.strictEqual(yield* queued.exitCode, 0)
      assert.deepStrictEqual(yield* runStatuses(url), ["succeeded", "succeeded"])
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
    }))

  it.scopedLive("a sync SIGKILLed mid-run changes nothing, and the next sync takes over its lock and succeeds", () =>
    Effect.gen(function*() {
      const { ids, mock, url } = yield* synced(1500, 31)
      yield* mock.insert({})
      yield* mock.remove(ids[0]!)
      const before = yield* mirrorSnapshot(url)
      yield* mock.setFaults({ latency: 30 })
      const cli = yield* spawnCli(["sync", "--db", url, "--concurrency", "1"], apiEnv(mock))
      yield* waitFor("rows to be staged", Effect.map(stagedRows(url), (staged) => staged > 0))
      cli.child.kill("SIGKILL")
      yield* cli.exitCode
      assert.deepStrictEqual(yield* mirrorSnapshot(url), before)
      assert.deepStrictEqual(yield* rows(url, "SELECT pid FROM sync_locks"), [{ pid: cli.child.pid! }])
      assert.deepStrictEqual(yield* runStatuses(url), ["succeeded", "running"])

      yield* mock.clearFaults
      const next = yield* sync({ mock, url })
      assert.include(next, { status: "succeeded", inserted: 1, deleted: 1 })
      assert.deepStrictEqual(yield* runStatuses(url), ["succeeded", "interrupted", "succeeded"])
      assert.deepStrictEqual(yield* stagingTables(url), [])
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
    }))

  it.scopedLive("--watch syncs on its interval, prints each run as JSON, and stops cleanly on SIGTERM", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 200, seed: 4 })
      const dir = yield* tempDir
      const url = `file:${join(dir, "mirror.db")}`
      const cli = yield* spawnCli(["sync", "--db", url, "--watch", "1s", "--format", "json"], apiEnv(mock))
      yield* waitFor("a first run", Effect.map(runStatuses(url), (runs) => runs[0] === "succeeded"))
      yield* mock.insert({})
      yield* waitFor("a second run", Effect.map(runStatuses(url), (runs) => runs[1] === "succeeded"))
      cli.child.kill("SIGTERM")
      assert.strictEqual(yield* cli.exitCode, 130)
      const printed = cli.stdout().trim().split("\n").map((line) => JSON.parse(line))
      const listed = (yield* mock.inventory).length - 1
      assert.include(printed[0], { id: 1, status: "succeeded", inserted: listed })
      assert.include(printed[1], { id: 2, status: "succeeded", inserted: 1, unchanged: listed })
      assert.notInclude((yield* runStatuses(url)).join(), "running")
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
      const files = readdirSync(dir).map((file) => readFileSync(join(dir, file)).toString("latin1"))
      for (const text of [cli.stdout(), cli.stderr(), ...files]) assert.notInclude(text, mock.secret)
    }))
})
