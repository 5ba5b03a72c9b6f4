import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type Output, Stdio } from "./Stdio.js"

/** Standard output failed for a reason other than its reader going away. */
export class StdoutError extends Schema.TaggedError<StdoutError>()("StdoutError", { reason: Schema.String }) {
  override get message() {
    return `standard output cannot be written: ${this.reason}`
  }
}

/** The first error each standard output met, watched from its first write on, for the rest of the process. */
type Watched = { failed?: NodeJS.ErrnoException }
const failures = new WeakMap<Output, Watched>()

const watch = (stdout: Output) => {
  const known = failures.get(stdout)
  if (known !== undefined) return known
  const state: Watched = {}
  failures.set(stdout, state)
  // Kept for good: a write that fails after the last one returned would otherwise throw at exit.
  stdout.on("error", (error: NodeJS.ErrnoException) => (state.failed ??= error))
  return state
}

/** Writes `chunk` and waits until standard output has it, so the caller may reuse its bytes; false once it failed. */
const written = (stdout: Output, state: Watched) => (chunk: string | Uint8Array) =>
  Effect.async<boolean>((resume) => {
    stdout.write(chunk, (error) => {
      if (error !== null && error !== undefined) state.failed ??= error
      resume(Effect.succeed(state.failed === undefined))
    })
  })

/**
 * Writes `texts` to standard output as they come, each once the one before is written, so a producer
 * may reuse its buffer and never runs ahead of the reader. A reader that goes away (`picasync query … |
 * head -1`) ends the stream quietly, which closes what produces it (the statement): the command
 * succeeds, as a shell tool does when `head` has what it wants.
 */
export const write = <E, R>(texts: Stream.Stream<string | Uint8Array, E, R>): Effect.Effect<void, E | StdoutError, R> =>
  Effect.flatMap(Stdio, ({ stdout }) => {
    const state = watch(stdout)
    const write = written(stdout, state)
    return Stream.runForEachWhile(texts, (chunk) => (state.failed === undefined ? write(chunk) : Effect.succeed(false))).pipe(
      Effect.zipRight(Effect.suspend(() =>
        state.failed === undefined || state.failed.code === "EPIPE"
          ? Effect.void
          : Effect.fail(new StdoutError({ reason: state.failed.message }))
      ))
    )
  })
