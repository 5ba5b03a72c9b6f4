import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

/** Standard output failed for a reason other than its reader going away. */
export class StdoutError extends Schema.TaggedError<StdoutError>()("StdoutError", { reason: Schema.String }) {
  override get message() {
    return `standard output cannot be written: ${this.reason}`
  }
}

/** The first error standard output met; watched from the first write on, for the rest of the process. */
let failed: NodeJS.ErrnoException | undefined
let watching = false

/** Writes `chunk` and waits until standard output has it, so the caller may reuse its bytes; false once it failed. */
const written = (chunk: string | Uint8Array) =>
  Effect.async<boolean>((resume) => {
    process.stdout.write(chunk, (error) => {
      if (error !== null && error !== undefined) failed ??= error
      resume(Effect.succeed(failed === undefined))
    })
  })

const watch = () => {
  if (watching) return
  watching = true
  // Kept for good: a write that fails after the last one returned would otherwise throw at exit.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => (failed ??= error))
}

/**
 * Writes `texts` to standard output as they come, each once the one before is written, so a producer
 * may reuse its buffer and never runs ahead of the reader. A reader that goes away (`picasync query … |
 * head -1`) ends the stream quietly, which closes what produces it (the statement): the command
 * succeeds, as a shell tool does when `head` has what it wants.
 */
export const write = <E, R>(texts: Stream.Stream<string | Uint8Array, E, R>): Effect.Effect<void, E | StdoutError, R> =>
  Effect.sync(watch).pipe(
    Effect.zipRight(Stream.runForEachWhile(texts, (chunk) => (failed === undefined ? written(chunk) : Effect.succeed(false)))),
    Effect.zipRight(Effect.suspend(() =>
      failed === undefined || failed.code === "EPIPE" ? Effect.void : Effect.fail(new StdoutError({ reason: failed.message }))
    ))
  )
