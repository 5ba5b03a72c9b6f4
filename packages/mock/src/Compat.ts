import { Schema } from "effect"
import type { Connection } from "./Connection.js"

/**
 * Behaviours of older or open-source deployments, off by default and switchable
 * at runtime. `legacyShape`: rows with `_id` and epoch-millisecond dates;
 * `getById: false`: no `GET /v1/vault/connections/{id}` (405); `patchAnswer:
 * "empty"`: a successful PATCH answers a bare 200.
 */
export const Compat = Schema.Struct({
  legacyShape: Schema.optional(Schema.Boolean),
  getById: Schema.optional(Schema.Boolean),
  patchAnswer: Schema.optional(Schema.Literal("connection", "empty"))
})
export type Compat = typeof Compat.Type

/** Every compat setting, as in force. */
export interface Settings {
  readonly legacyShape: boolean
  readonly getById: boolean
  readonly patchAnswer: "connection" | "empty"
}

export const defaults: Settings = { legacyShape: false, getById: true, patchAnswer: "connection" }

export const decode = Schema.decodeUnknownEither(Compat, { onExcessProperty: "error" })

/** An absent (or undefined) key leaves that setting as it is. */
export const merge = (settings: Settings, patch: Compat): Settings => ({
  legacyShape: patch.legacyShape ?? settings.legacyShape,
  getById: patch.getById ?? settings.getById,
  patchAnswer: patch.patchAnswer ?? settings.patchAnswer
})

/** How the open-source backend serialises a connection: `_id`, epoch milliseconds, bookkeeping fields. */
export const legacyRow = (row: Connection): Record<string, unknown> => {
  const { createdAt, id, ...rest } = row
  const millis = Date.parse(createdAt)
  return { _id: id, ...rest, createdAt: millis, updatedAt: millis, deleted: false, deprecated: false, lastModifiedBy: "system" }
}
