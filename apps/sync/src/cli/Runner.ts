import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLine from "./LogLine.js"
import { exitCode } from "./Program.js"
import * as Telemetry from "./Telemetry.js"

/** Runs a `Program.program` on this process's command line, as the bin does: its exit code is the command's. */
export const runMain = <E>(main: (argv: ReadonlyArray<string>) => Effect.Effect<void, E, NodeContext.NodeContext>) =>
  main(process.argv).pipe(
    Effect.provide(Telemetry.layer(process.argv)),
    Effect.provide(NodeContext.layer),
    Effect.provide(Logger.replace(Logger.defaultLogger, LogLine.stderr)),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => onExit(exitCode(exit))
    })
  )
