import * as Context from "effect/Context"

/** A stream the CLI writes to; `isTTY` as a terminal's stream has it. */
export interface Output extends NodeJS.WritableStream {
  readonly isTTY?: boolean
}

/**
 * Where the CLI writes its results (stdout) and its log lines, progress and errors (stderr): the process's
 * own streams unless a caller (the tests, running the CLI in-process) gives others.
 */
export class Stdio extends Context.Reference<Stdio>()("picasync/cli/Stdio", {
  defaultValue: (): { readonly stdout: Output; readonly stderr: Output } => ({ stdout: process.stdout, stderr: process.stderr })
}) {}
