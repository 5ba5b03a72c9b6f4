import * as Schema from "effect/Schema"
import { tolerantLiterals } from "./Unrecognized.js"

export const Environment = tolerantLiterals("test", "live")
export type Environment = typeof Environment.Type

export const IdentityType = tolerantLiterals("user", "team", "organization", "project")
export type IdentityType = typeof IdentityType.Type

export const ConnectionState = tolerantLiterals("operational", "degraded", "failed", "unknown")
export type ConnectionState = typeof ConnectionState.Type

export const ConnectionType = tolerantLiterals("api")
export type ConnectionType = typeof ConnectionType.Type

/** A field the API may send, leave out or send as `null`: all three are read alike. */
const field = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * One connection in Pica's vault. Only `id` and `key` are sure to be there: older deployments
 * omit `state` and `tags`, the open-source backend sends `null` for what it does not have, so
 * every other field may be absent or `null`. Fields the client does not know are kept as they
 * came, so a caller can still store the row whole.
 */
export const Connection = Schema.Struct(
  {
    id: Schema.NonEmptyString,
    key: Schema.NonEmptyString,
    platformVersion: field(Schema.String),
    name: field(Schema.String),
    type: field(ConnectionType),
    environment: field(Environment),
    platform: field(Schema.String),
    identity: field(Schema.String),
    identityType: field(IdentityType),
    description: field(Schema.String),
    state: field(ConnectionState),
    tags: field(Schema.Array(Schema.String)),
    version: field(Schema.String),
    active: field(Schema.Boolean),
    createdAt: field(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
).annotations({ identifier: "Connection" })
export type Connection = typeof Connection.Type
