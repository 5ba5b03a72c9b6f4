import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, type Exit } from "effect"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { exitCode, main } from "../../src/cli/Main.js"
import { runCli } from "../cliInProcess.js"
import { apiEnv, spawnCli, startMock, tempDir, waitFor } from "../harness.js"


/** The file as `name{labels}` → value, each sample checked to follow its family's `# TYPE … gauge` line. */
const readMetrics = (file: string) => {
  const text = readFileSync(file, "utf8")
  assert.isTrue(text.endsWith("\n"))
  const gauges = new Set<string>()
  const values = new Map<string, number>()
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE (\w+) gauge$/.exec(line)
    if (type !== null) gauges.add(type[1]!)
    if (line.startsWith("#")) continue
    const sample = /^(\w+)(\{[^}]*\}) (\S+)$/.exec(line)
    assert.isNotNull(sample, line)
    assert.isTrue(gauges.has(sample![1]!), `${sample![1]} before its TYPE line`)
    values.set(`${sample![1]}${sample![2]}`, Number(sample![3]))
  }
  return values
}

const key = (name: string, labels = "") => `${name}{source="test"${labels}}`
const lastSuccessAt = key("picasync_last_success_timestamp_seconds")
const succeeded = key("picasync_last_run_status", ",status=\"succeeded\"")
const failed = key("picasync_last_run_status", ",status=\"failed\"")
const duration = key("picasync_last_run_duration_seconds")

/** The samples that describe the last successful run. */
const lastSuccessOf = (metrics: Map<string, number>) =>
  Object.fromEntries([...metrics].filter(([name]) => name.startsWith("picasync_last_success_")))

describe("picasync sync --metrics-file", () => {
  it.scopedLive("writes the run's figures in the Prometheus text format: changes, rows, status, duration, 429s and retries", () =>
    Effect.gen(function*() {
      // The first request meets a 429, its retry a 503: two retries, one of them for a rate limit.
      const mock = yield* startMock({ count: 150, seed: 81, faults: { script: [{ status: 429, retryAfter: "0" }, { status: 503 }] } })
      const dir = yield* tempDir
      const textfiles = join(dir, "textfile")
      mkdirSync(textfiles)
      const file = join(textfiles, "picasync.prom")
      const startedAt = Date.now()
      // Pages of a fixed size, so the rows fetched are the inventory's, none read twice where a learned size overlaps.
      const cli = yield* runCli(
        ["sync", "--db", join(dir, "mirror.db"), "--format", "json", "--metrics-file", file, "--retry-max-delay", "1s", "--page-size", "100"],
        apiEnv(mock)
      )
      assert.strictEqual(cli.exitCode, 0, cli.stderr)
      const endedAt = Date.now()
      const run = JSON.parse(cli.stdout) as Record<string, number>
      const metrics = readMetrics(file)

      const at = metrics.get(lastSuccessAt)!
      assert.isTrue(at >= startedAt / 1000 && at <= endedAt / 1000, `${at}`)
      assert.isTrue(metrics.get(duration)! > 0 && metrics.get(duration)! <= (endedAt - startedAt) / 1000)
      metrics.delete(lastSuccessAt)
      metrics.delete(duration)
      assert.deepStrictEqual(Object.fromEntries(metrics), {
        [key("picasync_last_success_rows_fetched")]: run.rowsFetched!,
        ...Object.fromEntries(
          ["inserted", "updated", "deleted", "restored", "unchanged"].map((kind) => [
            key("picasync_last_success_changes", `,kind="${kind}"`),
            run[kind]!
          ])
        ),
        [succeeded]: 1,
        [failed]: 0,
        [key("picasync_last_run_rate_limited")]: 1,
        [key("picasync_last_run_retries")]: 2
      })
      assert.strictEqual(run.rowsFetched, (yield* mock.inventory).length)
      // Renamed into place: no temporary file is left for the collector to find.
      assert.deepStrictEqual(readdirSync(textfiles), ["picasync.prom"])
    }), 60_000)

  it.scopedLive(
    "--watch rewrites it after every run; a failed run updates status and duration and keeps the last success; an unwritable file is one logged line",
    () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: 60, seed: 82 })
        const dir = yield* tempDir
        const file = join(dir, "picasync.prom")
        const cli = yield* spawnCli(
          ["sync", "--db", join(dir, "mirror.db"), "--watch", "1s", "--metrics-file", file, "--retry-for", "1s", "--retry-max-delay", "1s"],
          apiEnv(mock)
        )
        // Every state lasts a second or more, so polling sees each success the file reports.
        let lastSeenSuccess: Map<string, number> | undefined
        const reports = (status: "succeeded" | "failed") =>
          Effect.sync(() => {
            const metrics = readMetrics(file)
            if (metrics.get(succeeded) === 1) lastSeenSuccess = metrics
            return metrics.get(status === "succeeded" ? succeeded : failed) === 1
          })

        yield* waitFor("a first run's figures", reports("succeeded"))
        yield* mock.setFaults({ errors: { rate: 1 } })
        yield* waitFor("a failed run's figures", reports("failed"))
        const afterFailure = readMetrics(file)
        assert.deepStrictEqual(lastSuccessOf(afterFailure), lastSuccessOf(lastSeenSuccess!))
        assert.strictEqual(afterFailure.get(succeeded), 0)
        assert.isAbove(afterFailure.get(duration)!, 0)
        assert.isAbove(afterFailure.get(key("picasync_last_run_retries"))!, 0)
        assert.strictEqual(afterFailure.get(key("picasync_last_run_rate_limited")), 0)

        yield* mock.clearFaults
        const before = lastSeenSuccess!.get(lastSuccessAt)!
        yield* waitFor("a success after the failure", reports("succeeded"))
        assert.isAbove(readMetrics(file).get(lastSuccessAt)!, before)

        // A directory where the file was: the next write fails, is logged, and the watch goes on.
        rmSync(file)
        mkdirSync(file)
        const failure = "--metrics-file (or PICASYNC_METRICS_FILE): could not write the metrics file"
        yield* waitFor("the write failure on stderr", Effect.sync(() => cli.stderr().includes(failure)))
        rmdirSync(file)
        yield* waitFor("the file written again", Effect.sync(() => existsSync(file) && statSync(file).isFile()))
        const line = cli.stderr().split("\n").find((text) => text.includes(failure))!
        assert.include(line, file)

        cli.child.kill("SIGTERM")
        assert.strictEqual(yield* cli.exitCode, 130)
      }),
    90_000
  )

  it.scopedLive("a file that cannot be written is a usage error naming the flag, found before the sync; --help documents it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = join(dir, "never.db")
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, string]> = [
        [["--metrics-file", join(dir, "missing", "picasync.prom")], {}, "does not exist"],
        [[], { PICASYNC_METRICS_FILE: dir }, "is a directory"]
      ]
      for (const [args, env, reason] of cases) {
        const exit = yield* main(["node", "picasync", "sync", "--db", db, ...args]).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ PICA_SECRET_KEY: "sk_test_x", ...env })))),
          Effect.provide(NodeContext.layer),
          Effect.exit
        )
        assert.strictEqual(exitCode(exit), 2)
        const message = String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause))
        assert.include(message, "--metrics-file (or PICASYNC_METRICS_FILE)")
        assert.include(message, reason)
      }
      assert.isFalse(existsSync(db))

      const help = yield* runCli(["sync", "--help"])
      assert.strictEqual(help.exitCode, 0)
      assert.include(help.stdout, "--metrics-file")
      assert.include(help.stdout, "PICASYNC_METRICS_FILE")
    }), 60_000)
})
