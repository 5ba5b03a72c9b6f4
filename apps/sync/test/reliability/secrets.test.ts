import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect } from "effect"
import { randomBytes } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { type CliProcess, spawnCli, startMock, sync, tempDir } from "../harness.js"
import { observer } from "../tracing.js"
import { figures, scaled } from "./Figures.js"

const tally = figures("secrets")

/** Distinctive enough that any appearance is a leak, and long enough to find in a page of bytes. */
const canary = (label: string) => `sk_test_${label}Canary${randomBytes(12).toString("hex")}`

/** Whether `secret`, or its random tail alone, appears in `text`. */
const leaks = (text: string, secret: string) => text.includes(secret) || text.includes(secret.slice(-24))

/** Every file of `dir` (the database, its WAL and shared memory), as bytes read as latin1 so UTF-8 text stays findable. */
const filesOf = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({ name: entry.name, text: readFileSync(join(entry.parentPath, entry.name)).toString("latin1") }))

describe("secret hygiene: the secret appears in no output, log line, error, database page or trace span", () => {
  it.scopedLive("every command, run as a process, keeps the secret out of stdout, stderr and the database files", () =>
    Effect.gen(function*() {
      const secret = canary("Cli")
      const wrongSecret = canary("Revoked")
      const dbToken = canary("DbToken")
      const mock = yield* startMock({ count: 300, seed: 61, secret })
      const dir = yield* tempDir
      const db = join(dir, "mirror.db")
      const env = { PICA_SECRET_KEY: secret, PICA_BASE_URL: mock.url, PICASYNC_DB_AUTH_TOKEN: dbToken }
      const runs: Array<readonly [string, CliProcess, number]> = []
      const run = (what: string, args: ReadonlyArray<string>, expectedExit: number, extraEnv: Record<string, string> = {}) =>
        Effect.gen(function*() {
          const cli = yield* spawnCli(args, { ...env, ...extraEnv })
          assert.strictEqual(yield* cli.exitCode, expectedExit, `${what}: ${cli.stderr()}`)
          runs.push([what, cli, expectedExit])
        })

      yield* run("sync", ["sync", "--db", db], 0)
      yield* mock.insert({})
      yield* run("sync --format json", ["sync", "--db", db, "--format", "json"], 0)
      yield* mock.setFaults({ errors: { rate: 1 } })
      yield* run("sync against a failing API", ["sync", "--db", db, "--retry-for", "1s", "--retry-max-delay", "1s"], 1)
      yield* mock.clearFaults
      yield* run("sync with a revoked secret", ["sync", "--db", db], 1, { PICA_SECRET_KEY: wrongSecret })
      yield* run("sync with a usage error", ["sync", "--db", db, "--concurrency", "0"], 2)
      const readers: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        ["query", ["query", "select * from sync_runs", "--db", db, "--format", "json"]],
        ["status", ["status", "--db", db, "--format", "json"]],
        ["tables", ["tables", "--db", db, "--counts"]],
        ...scaled([], [
          ["status (table)", ["status", "--db", db]] as const,
          ["query (csv)", ["query", "select * from connections limit 20", "--db", db, "--format", "csv"]] as const,
          ["demo", ["demo", "--db", join(dir, "demo.db"), "--count", "200"]] as const
        ])
      ]
      yield* Effect.forEach(readers, ([what, args]) => run(what, args, 0), { concurrency: 3, discard: true })

      assert.include(runs.find(([what]) => what === "sync with a revoked secret")![1].stderr(), "answered 401")
      for (const [what, cli] of runs) {
        for (const [stream, text] of [["stdout", cli.stdout()], ["stderr", cli.stderr()]] as const) {
          for (const value of [secret, wrongSecret, dbToken]) assert.isFalse(leaks(text, value), `${what} ${stream}`)
        }
        tally.scenarios++
      }
      const files = filesOf(dir)
      assert.isAtLeast(files.length, 1)
      for (const file of files) {
        for (const value of [secret, wrongSecret, dbToken]) assert.isFalse(leaks(file.text, value), `${file.name}`)
      }
      // Faults: the failing, revoked and malformed runs.
      tally.faults += 3
    }), 90_000)

  it.scopedLive("in process: no log line at any level, error, or span attribute, event or exit carries the secret", () =>
    Effect.gen(function*() {
      const secret = canary("Traced")
      const mock = yield* startMock({ count: 250, seed: 62, secret })
      const url = `file:${join(yield* tempDir, "mirror.db")}`
      const { logs, observed, spans } = observer()
      // Retries (503, a 429 with Retry-After, a cut body) annotate spans; a drift mid-scan makes the sync log its rescan.
      yield* mock.setFaults({
        script: [{}, { status: 503 }, { status: 429, retryAfter: "1" }, { cut: true }],
        drift: { afterPage: 1, insert: 2 }
      })
      yield* observed(sync({ mock, url, secret, maxRetries: 4 }))
      const wrongSecret = canary("Wrong")
      const failure = yield* observed(Effect.flip(sync({ mock, url, secret: wrongSecret })))
      yield* mock.setFaults({ errors: { rate: 1 } })
      const serverFailure = yield* observed(Effect.flip(sync({ mock, url, secret })))
      yield* mock.clearFaults
      tally.faults += 6

      assert.strictEqual(failure._tag, "PicaAuthError")
      assert.strictEqual(serverFailure._tag, "PicaServerError")
      const errors = [failure, serverFailure].flatMap((error) => [
        error.message,
        String(error),
        JSON.stringify(error),
        inspect(error, { depth: 12 }),
        Cause.pretty(Cause.fail(error))
      ])
      // The header is traced, but only as redacted: the check below would see the value otherwise.
      assert.isTrue(spans.some((span) => span.includes("x-pica-secret")), "the secret's header appears in the spans, redacted")
      assert.isAbove(logs.length, 0)
      for (const [what, texts] of [["span", spans], ["log line", logs], ["error", errors]] as const) {
        for (const text of texts) {
          assert.isFalse(leaks(text, secret), `a ${what} carries the secret: ${text.slice(0, 300)}`)
          assert.isFalse(leaks(text, wrongSecret), `a ${what} carries the wrong secret`)
        }
      }
      tally.scenarios += 3
    }))
})
