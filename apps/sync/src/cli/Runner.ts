import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLine from "./LogLine.js"
import { exitCode } from "./Program.js"
import * as Telemetry from "./Telemetry.js"

type Main<E> = (argv: ReadonlyArray<string>) => Effect.Effect<void, E, NodeContext.NodeContext>

/** A `Program.program` on the command line `argv`, with what every command is given: Node's services, log lines on stderr, traces. */
export const run = <E>(main: Main<E>, argv: ReadonlyArray<string>) =>
  main(argv).pipe(
    Effect.provide(Telemetry.layer(argv)),
    Effect.provide(NodeContext.layer),
    Effect.provide(Logger.replace(Logger.defaultLogger, LogLine.stderr))
  )

/** Runs a `Program.program` on this process's command line, as the bin does: its exit code is the command's. */
export const runMain = <E>(main: Main<E>) =>
  run(main, process.argv).pipe(
    NodeRuntime.runMain({
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => onExit(exitCode(exit))
    })
  )
