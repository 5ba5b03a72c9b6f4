import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { packageVersion } from "../PackageVersion.js"
import { forCli } from "./Advice.js"
import { tidied } from "./HelpText.js"

const isUsageError = (error: unknown) =>
  ValidationError.isValidationError(error) || (error as { readonly _tag?: unknown })._tag === "UsageError"

/** 0 done, 1 a failed command (sync, query, …), 2 a usage error, 130 stopped by a signal. */
export const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return 130
  return Option.exists(Cause.failureOption(exit.cause), isUsageError) ? 2 : 1
}

/** One line for an expected failure (the CLI library prints its own usage errors), the whole cause for a defect. */
const report = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Console.error(`picasync: unexpected failure\n${Cause.pretty(cause)}`)
  if (ValidationError.isValidationError(failure.value)) return Effect.void
  return Console.error(`picasync: ${forCli(failure.value)}`)
}

/** `picasync` with `subcommands`: runs the command line `argv` (as `process.argv`), reporting a failure on stderr. */
export const program = <Subcommands extends readonly [Command.Command<any, any, any, any>, ...Array<Command.Command<any, any, any, any>>]>(
  subcommands: Subcommands
) => {
  const picasync = Command.make("picasync").pipe(
    Command.withDescription("Mirror the Pica connection inventory into a libSQL database you can query offline"),
    Command.withSubcommands(subcommands)
  )
  return (argv: ReadonlyArray<string>) =>
    Command.run(picasync, { name: "picasync", version: packageVersion() })(argv).pipe(
      Effect.tapErrorCause(report),
      tidied(argv.includes("--help") || argv.includes("-h"))
    )
}
