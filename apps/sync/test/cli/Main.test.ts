import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { runCli } from "../cliInProcess.js"
import { apiEnv, spawnCli, startMock, tempDir } from "../harness.js"

const packageVersion = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version as string

/** Runs the bin `picasync …args` to its end, in a process of its own: exit code and output. */
const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const cli = yield* spawnCli(args, env)
    const exitCode = yield* cli.exitCode
    return { exitCode, stdout: cli.stdout(), stderr: cli.stderr() }
  })

describe("picasync (the command line as a whole)", () => {
  it.scopedLive("--version is package.json's; --help through a pipe is plain text naming picasync, each option with its kind, default and variable", () =>
    Effect.gen(function*() {
      const [version, help] = yield* Effect.all([run(["--version"]), run(["sync", "--help"])], { concurrency: 2 })
      assert.strictEqual(version.stdout.trim(), packageVersion)
      assert.strictEqual(help.exitCode, 0, help.stderr)
      assert.notInclude(help.stdout, "\u001b", "no escape code off a terminal")
      assert.include(help.stdout, "$ picasync sync [--base-url URL]")
      assert.notInclude(help.stdout, "A user-defined piece of text")
      assert.notInclude(help.stdout, "This setting is optional")
      assert.include(help.stdout, "--concurrency integer\n\n  Pages (or single connections) requested at once. Default: 4.\n")
      assert.include(help.stdout, "--retry-for duration\n")
      assert.include(help.stdout, "Default: 3m. Env: PICASYNC_RETRY_FOR.\n")
    }), { timeout: 60_000 })

  it.scopedLive("every command that prints data takes --format json and prints JSON; --json and --stale-after still work, with a notice", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 20, seed: 91 })
      const db = join(yield* tempDir, "mirror.db")
      const env = { ...apiEnv(mock), PICASYNC_DB: db }
      const first = yield* runCli(["sync", "--format", "json"], env)
      assert.strictEqual(first.exitCode, 0, first.stderr)
      assert.include(JSON.parse(first.stdout), { id: 1, status: "succeeded" })
      const commands: ReadonlyArray<ReadonlyArray<string>> = [
        ["status", "--format", "json", "--max-age", "1h"],
        ["tables", "--format", "json"],
        ["query", "SELECT count(*) AS n FROM connections", "--format", "json"],
        ["check", "--format", "json", "--max-age", "1h", "--max-failing", "1000"],
        ["sync", "--json"],
        ["status", "--stale-after", "1h"]
      ]
      const results = yield* Effect.forEach(commands, (args) => runCli(args, env), { concurrency: 3 })
      for (const [index, { exitCode, stderr, stdout }] of results.entries()) {
        const args = commands[index]!
        assert.strictEqual(exitCode, 0, `${args.join(" ")}: ${stderr}`)
        if (args.includes("--format")) {
          assert.doesNotThrow(() => JSON.parse(stdout), `${args.join(" ")} prints JSON`)
          assert.strictEqual(stderr, "")
        }
      }
      const [json, staleAfter] = results.slice(-2)
      assert.include(JSON.parse(json!.stdout), { id: 2, status: "succeeded" })
      // One line of notice, before the run's progress lines.
      assert.strictEqual(json!.stderr.split("\n")[0], "picasync: --json is deprecated and will go; use --format json")
      assert.lengthOf(json!.stderr.match(/deprecated/g) ?? [], 1)
      assert.match(staleAfter!.stdout, /^source test\n/)
      assert.strictEqual(staleAfter!.stderr, "picasync: --stale-after is deprecated and will go; use --max-age\n")
    }), { timeout: 120_000 })

  it.scopedLive("report refuses an empty --source, as check does", () =>
    Effect.gen(function*() {
      const db = join(yield* tempDir, "mirror.db")
      const results = yield* Effect.forEach([["report"], ["check"]], (command) => run([...command, "--source", "", "--db", db]), { concurrency: 2 })
      for (const { exitCode, stderr } of results) {
        assert.strictEqual(exitCode, 2, stderr)
        assert.include(stderr, "picasync: --source is empty")
      }
    }), { timeout: 60_000 })

  it.scopedLive("a command that fails is exit 1 from the bin, with one line on stderr", () =>
    Effect.gen(function*() {
      const absent = join(yield* tempDir, "absent.db")
      const { exitCode, stderr, stdout } = yield* run(["status", "--db", absent])
      assert.strictEqual(exitCode, 1, stderr)
      assert.strictEqual(stdout, "")
      assert.strictEqual(stderr, `picasync: no database at ${absent}: run picasync sync first, or point --db (PICASYNC_DB) at the mirror\n`)
    }), { timeout: 60_000 })
})
