import { assert, describe, it } from "@effect/vitest"
import { MockPica } from "@picasync/mock"
import { Effect } from "effect"
import { type ChildProcess, spawnSync } from "node:child_process"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { testCliBin } from "../cliBundle.js"
import {
  apiEnv,
  type CliProcess,
  holdDatabase,
  mirrored,
  mirrorSnapshot,
  rows,
  spawnCli,
  stagedRows,
  startMock,
  sync,
  synced,
  tempDatabase,
  tempDir,
  truth,
  waitFor
} from "../harness.js"
import { figures, scaled } from "./Figures.js"

const tally = figures("storage")

/** The commands that open the mirror, with what each needs besides `--db`. */
const commands: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = scaled(
  [["sync", []], ["query", ["select count(*) from connections"]]],
  [["sync", []], ["query", ["select count(*) from connections"]], ["status", []], ["tables", ["--counts"]]]
)

/** File permissions do not stop root, so as root the commands run as `nobody`. */
const unprivileged = process.getuid?.() === 0 ? { uid: 65534 } : {}

/** Whether `nobody` can read the CLI: a checkout under a private home directory hides it. */
const canRunUnprivileged = unprivileged.uid === undefined ||
  spawnSync(process.execPath, ["-e", "require('fs').accessSync(process.argv[1], require('fs').constants.R_OK)", testCliBin], { ...unprivileged, gid: unprivileged.uid }).status === 0


/** Runs `command` against `db` and checks the failure: exit 1, one line on stderr naming the problem. */
const failsInOneLine = (cli: CliProcess, command: string, expected: RegExp) =>
  Effect.gen(function*() {
    assert.strictEqual(yield* cli.exitCode, 1, `${command}: exit 1; stderr: ${cli.stderr()}`)
    const lines = cli.stderr().trimEnd().split("\n")
    assert.strictEqual(lines.length, 1, `${command}: one line on stderr, got:\n${cli.stderr()}`)
    assert.match(lines[0]!, /^picasync: /)
    assert.match(lines[0]!, expected, command)
    assert.strictEqual(cli.stdout(), "", `${command}: nothing on stdout`)
    tally.scenarios++
  })

const everyCommand = (
  db: string,
  mock: MockPica.MockPicaServer,
  check: (command: string, cli: CliProcess) => Effect.Effect<void>,
  options: { readonly uid?: number } = {}
) =>
  Effect.forEach(
    commands,
    ([command, args]) => Effect.flatMap(spawnCli([command, "--db", db, ...args], apiEnv(mock), options), (cli) => check(command, cli)),
    { concurrency: "unbounded", discard: true }
  )

const succeeds = (cli: CliProcess) =>
  Effect.map(cli.exitCode, (code) => assert.strictEqual(code, 0, cli.stderr()))

/** The mirror's three tables (each row's content by its hash), read by `picasync query` in a process of its own. */
const snapshotByCli = (url: string) =>
  Effect.gen(function*() {
    const cli = yield* spawnCli(["query", "--db", url, "--format", "json", `SELECT
      (SELECT json_group_array(json_array(source, id, content_hash, first_seen_at, last_seen_at, deleted_at))
        FROM (SELECT * FROM connections ORDER BY source, id)) AS connections,
      (SELECT json_group_array(json_array(source, connection_id, tag)) FROM (SELECT * FROM connection_tags ORDER BY 1, 2, 3)) AS tags,
      (SELECT json_group_array(json_array(id, run_id, connection_id, kind, changed_fields, observed_at))
        FROM (SELECT * FROM connection_changes ORDER BY id)) AS changes`])
    yield* succeeds(cli)
    return cli.stdout()
  })

/** Kills `child` and waits until it has exited, so the operating system has dropped its locks. */
const killAndWait = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

describe("storage faults: one line on stderr, exit 1, no corruption", () => {
  it.scopedLive.skipIf(!canRunUnprivileged)("a database file that is read-only (skipped when nobody cannot read this checkout)", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(300, 41)
      yield* mock.insert({})
      const file = url.slice("file:".length)
      const before = yield* mirrorSnapshot(url)
      // Everything into the file itself, so its bytes are the whole database.
      yield* rows(url, "PRAGMA wal_checkpoint(TRUNCATE)")
      const bytes = readFileSync(file)
      chmodSync(join(file, ".."), 0o777)
      chmodSync(file, 0o444)
      tally.faults++
      yield* everyCommand(url, mock, (command, cli) =>
        command === "sync"
          ? failsInOneLine(cli, command, /readonly|read-only/i)
          : Effect.gen(function*() {
            // Reading a read-only mirror is allowed; when it cannot, it fails like any other command.
            const exit = yield* cli.exitCode
            if (exit === 1) return yield* failsInOneLine(cli, command, /database/)
            assert.strictEqual(exit, 0, `${command}: ${cli.stderr()}`)
            tally.scenarios++
          }), unprivileged)
      assert.isTrue(readFileSync(file).equals(bytes), "the file is byte-identical")
      chmodSync(file, 0o644)
      assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
      assert.deepStrictEqual(yield* mirrorSnapshot(url), before)
    }))

  it.scopedLive("a directory that does not exist", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 10 })
      const missing = join(yield* tempDir, "no", "such", "dir")
      tally.faults++
      yield* everyCommand(join(missing, "mirror.db"), mock, (command, cli) =>
        failsInOneLine(cli, command, command === "sync" ? /database open failed.*(directory|unable to open)/i : /no database at /))
      assert.isFalse(existsSync(missing), "nothing is created")
    }))

  it.scopedLive("a file that is not a database", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 10 })
      const file = join(yield* tempDir, "notes.db")
      const text = "These are my notes, not a database.\n".repeat(200)
      writeFileSync(file, text)
      tally.faults++
      yield* everyCommand(file, mock, (command, cli) => failsInOneLine(cli, command, /not a database/))
      assert.strictEqual(readFileSync(file, "utf8"), text, "the file is untouched")
    }))

  it.scopedLive("a database another process locks during a sync is waited out; the sync then succeeds", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(1500, 43)
      yield* mock.insert({})
      yield* mock.setFaults({ latency: 40 })
      const cli = yield* spawnCli(["sync", "--db", url, "--concurrency", "1", "--page-size", "50"], apiEnv(mock))
      yield* waitFor("rows to be staged", Effect.map(stagedRows(url), (staged) => staged > 0))
      // Longer than the busy timeout (5 s), so the sync has to wait the lock out, not just block on it.
      const holder = yield* holdDatabase(url, "write", 6_500)
      tally.faults++
      yield* holder.locked
      yield* mock.clearFaults
      assert.strictEqual(yield* cli.exitCode, 0, cli.stderr())
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
      assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
      tally.scenarios++
    }), 60_000)

  if (scaled(false, true)) {
    // About 100 s for the commands (12 busy timeouts of 5 s, the backoff between them, their start), and 3 processes more.
    it.scopedLive("a database locked for longer than the commands wait (a minute): each fails in one line, changing nothing", () =>
      Effect.gen(function*() {
        // Only other processes open the mirror before the lock: one of this process would keep a shared
        // lock until garbage-collected (harness.ts, holdDatabase), and the exclusive lock would never come.
        const mock = yield* startMock({ count: 100, seed: 44 })
        const url = yield* tempDatabase
        yield* succeeds(yield* spawnCli(["sync", "--db", url], apiEnv(mock)))
        yield* mock.insert({})
        const before = yield* snapshotByCli(url)
        const holder = yield* holdDatabase(url, "exclusive", 120_000)
        tally.faults++
        yield* holder.locked
        yield* everyCommand(url, mock, (command, cli) => failsInOneLine(cli, command, /locked|busy/i))
        yield* killAndWait(holder.child)
        assert.deepStrictEqual(yield* rows(url, "PRAGMA integrity_check"), [{ integrity_check: "ok" }])
        assert.strictEqual(yield* snapshotByCli(url), before)
        yield* sync({ mock, url })
        assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
      }), 200_000)
  }
})
