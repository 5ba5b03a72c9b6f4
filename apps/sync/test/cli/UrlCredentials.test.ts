import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { runCli } from "../cliInProcess.js"
import { apiEnv, startMock, sync, tempDir } from "../harness.js"
import { startSqld } from "../Sqld.js"
import { observer } from "../tracing.js"

const PASSWORD = "pw5ecretCanary"
const TOKEN = "tok5ecretCanary"

/** `url` with a user and `PASSWORD` in it. */
const withPassword = (url: string) => url.replace("://", `://picasync:${PASSWORD}@`)

/** Every file of `dir` as text: the mirror (its sync_runs.error), its WAL, the metrics file. */
const filesOf = (dir: string) =>
  readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString("latin1")).join("\n")

const assertHidden = (what: string, text: string) => {
  assert.notInclude(text, PASSWORD, what)
  assert.notInclude(text, TOKEN, what)
}

describe("credentials inside URLs are secrets", () => {
  it.scopedLive("a Pica base URL with a password: a failing and a succeeding sync show it nowhere, as *** in messages", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 81 })
      const dir = yield* tempDir
      const db = join(dir, "mirror.db")
      const metrics = join(dir, "picasync.prom")
      const run = (baseUrl: string) =>
        runCli(["sync", "--db", db, "--metrics-file", metrics, "--retry-for", "1s"], { PICA_SECRET_KEY: mock.secret, PICA_BASE_URL: baseUrl })
      const failing = yield* run(withPassword("http://127.0.0.1:9"))
      assert.strictEqual(failing.exitCode, 1)
      assert.include(failing.stderr, "picasync: GET http://***@127.0.0.1:9/v1/vault/connections")
      const succeeding = yield* run(withPassword(mock.url))
      assert.strictEqual(succeeding.exitCode, 0, succeeding.stderr)
      for (const cli of [failing, succeeding]) assertHidden("output", cli.stdout + cli.stderr)
      assertHidden("files", filesOf(dir))
    }), 60_000)

  it.scopedLive("in process: no log line, error or span of a sync through such a URL carries the password", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 82 })
      const url = `file:${join(yield* tempDir, "mirror.db")}`
      const { logs, observed, spans } = observer()
      yield* observed(sync({ mock, url, baseUrl: withPassword(mock.url) }))
      const failure = yield* observed(Effect.flip(sync({ mock, url, baseUrl: withPassword("http://127.0.0.1:9"), retryFor: "1 second" })))
      assert.strictEqual(failure._tag, "PicaTransportError")
      assert.include(failure.message, "http://***@127.0.0.1:9/")
      assert.isAbove(spans.length, 0)
      assert.isTrue(spans.some((span) => span.includes("http.request.header.authorization")), "the credentials went as a header")
      assertHidden("spans, logs and the error", [...spans, ...logs, inspect(failure)].join("\n"))
    }), 60_000)

  it.scopedLive("every database URL form with a password or token: read commands that fail and that succeed show it nowhere", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 83 })
      const server = yield* startSqld()
      yield* sync({ mock, url: server.url })
      const { host } = new URL(server.url)
      // libSQL's HTTP client refuses a URL with a user and password; its WebSocket client and `?authToken=` work.
      const failing = [withPassword(`libsql://${host}?tls=0`), withPassword(`http://${host}`)]
      const status = ["status"]
      const tables = ["tables"]
      const query = ["query", "SELECT count(*) AS n FROM connections"]
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        [failing[0]!, status],
        [failing[0]!, tables],
        [failing[0]!, query],
        [failing[1]!, status],
        [withPassword(`ws://${host}`), query],
        [`http://${host}?authToken=${TOKEN}`, status]
      ]
      yield* Effect.forEach(cases, ([db, command]) =>
        Effect.gen(function*() {
          const cli = yield* runCli([...command, "--db", db])
          const what = `${command[0]} --db ${db}`
          assert.strictEqual(cli.exitCode, failing.includes(db) ? 1 : 0, `${what}: ${cli.stderr}`)
          assertHidden(what, cli.stdout + cli.stderr)
          if (failing.includes(db)) {
            assert.include(cli.stderr, "***@", what)
            assert.notInclude(cli.stderr, "writ", `${what}: a read command never advises writing`)
          }
        }), { concurrency: 3, discard: true })
      const writer = yield* runCli(["sync", "--db", failing[1]!], apiEnv(mock))
      assert.strictEqual(writer.exitCode, 1)
      assertHidden("sync", writer.stdout + writer.stderr)
    }), 120_000)
})
