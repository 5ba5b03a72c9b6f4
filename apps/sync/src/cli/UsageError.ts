import * as Schema from "effect/Schema"

/** A missing or malformed flag or environment variable, found before anything is opened: exit 2. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  message: Schema.String
}) {}
