import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

/** Standard output failed for a reason other than its reader going away. */
export class StdoutError extends Schema.TaggedError<StdoutError>()("StdoutError", { reason: Schema.String }) {
  override get message() {
    return `standard output cannot be written: ${this.reason}`
  }
}

/** Waits until standard output takes more, or has failed. */
const drained = Effect.async<void>((resume) => {
  const done = () => {
    process.stdout.off("drain", done)
    process.stdout.off("error", done)
    resume(Effect.void)
  }
  process.stdout.on("drain", done)
  process.stdout.on("error", done)
  return Effect.sync(() => {
    process.stdout.off("drain", done)
    process.stdout.off("error", done)
  })
})

/** The first error standard output met; watched from the first write on, for the rest of the process. */
let failed: NodeJS.ErrnoException | undefined
let watching = false
const watch = () => {
  if (watching) return
  watching = true
  // Kept for good: a write that fails after the last one returned would otherwise throw at exit.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => (failed ??= error))
}

/**
 * Writes `texts` to standard output as they come, no faster than its reader takes them. A reader that
 * goes away (`picasync query … | head -1`) ends the stream quietly, which closes what produces it (the
 * statement): the command succeeds, as a shell tool does when `head` has what it wants.
 */
export const write = <E, R>(texts: Stream.Stream<string | Uint8Array, E, R>): Effect.Effect<void, E | StdoutError, R> =>
  Effect.sync(watch).pipe(
    Effect.zipRight(Stream.runForEachWhile(texts, (text) =>
      Effect.suspend(() => {
        if (failed !== undefined) return Effect.succeed(false)
        return process.stdout.write(text) ? Effect.succeed(true) : Effect.as(drained, failed === undefined)
      }))),
    Effect.zipRight(Effect.suspend(() =>
      failed === undefined || failed.code === "EPIPE" ? Effect.void : Effect.fail(new StdoutError({ reason: failed.message }))
    ))
  )
