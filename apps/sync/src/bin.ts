import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLine from "./cli/LogLine.js"
import { exitCode, main } from "./cli/Main.js"
import * as Telemetry from "./cli/Telemetry.js"

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
