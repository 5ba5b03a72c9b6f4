import { ConfigProvider, Console, Effect } from "effect"
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import { exitCode, main } from "../src/cli/Main.js"
import * as Runner from "../src/cli/Runner.js"
import { Stdio } from "../src/cli/Stdio.js"

/** What a finished `picasync` command left: its exit code and everything it wrote. */
export interface CliRun {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** A stream that keeps what is written to it, as a pipe to the test would; not a terminal. */
const capture = () => {
  const chunks: Array<Buffer> = []
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        chunks.push(Buffer.from(chunk))
        done()
      }
    }),
    { isTTY: false }
  )
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") }
}

/** Effect's `Console` over a Node console of its own: what `Console.log` and the CLI library print goes to `stdout`/`stderr`. */
const consoleOn = (node: InstanceType<typeof NodeConsole>): Console.Console => {
  const sync = <Args extends ReadonlyArray<any>>(method: (...args: Args) => void) => (...args: Args) => Effect.sync(() => method(...args))
  return {
    [Console.TypeId]: Console.TypeId,
    assert: sync(node.assert),
    clear: Effect.sync(node.clear),
    count: sync(node.count),
    countReset: sync(node.countReset),
    debug: sync(node.debug),
    dir: sync(node.dir),
    dirxml: sync(node.dirxml),
    error: sync(node.error),
    group: (options) => Effect.sync(() => (options?.collapsed === true ? node.groupCollapsed(options.label) : node.group(options?.label))),
    groupEnd: Effect.sync(node.groupEnd),
    info: sync(node.info),
    log: sync(node.log),
    table: sync(node.table),
    time: sync(node.time),
    timeEnd: sync(node.timeEnd),
    timeLog: sync(node.timeLog),
    trace: sync(node.trace),
    warn: sync(node.warn),
    unsafe: node
  }
}

/**
 * Runs `picasync …args` in this process, through the CLI's entry point as the bin runs it, with only `env`
 * as its environment (never the test process's) and its output captured. For what needs no process of its
 * own: signals, the bin's exit, two processes at once and the packed bin stay with `spawnCli`.
 */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const stdout = capture()
    const stderr = capture()
    const exit = yield* Runner.run(main, ["node", "picasync", ...args]).pipe(
      Effect.provideService(Stdio, { stdout: stdout.stream, stderr: stderr.stream }),
      Effect.withConsole(consoleOn(new NodeConsole({ stdout: stdout.stream, stderr: stderr.stream, colorMode: false }))),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" })),
      Effect.exit
    )
    return { exitCode: exitCode(exit), stdout: stdout.text(), stderr: stderr.text() }
  })
