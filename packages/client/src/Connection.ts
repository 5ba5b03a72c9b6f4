import * as Schema from "effect/Schema"
import { Page } from "./Page.js"
import { tolerantLiterals } from "./Unrecognized.js"

export const Environment = tolerantLiterals("test", "live")
export type Environment = typeof Environment.Type

export const IdentityType = tolerantLiterals("user", "team", "organization", "project")
export type IdentityType = typeof IdentityType.Type

export const ConnectionState = tolerantLiterals("operational", "degraded", "failed", "unknown")
export type ConnectionState = typeof ConnectionState.Type

export const ConnectionType = tolerantLiterals("api")
export type ConnectionType = typeof ConnectionType.Type

/**
 * One connection in Pica's vault. `state`, `tags`, `name`, `identity` and `identityType`
 * are absent on rows from older deployments; fields the client does not know are kept
 * as they came, so a caller can still store the row whole.
 */
export const Connection = Schema.Struct(
  {
    id: Schema.NonEmptyString,
    key: Schema.NonEmptyString,
    platformVersion: Schema.String,
    name: Schema.optional(Schema.NullOr(Schema.String)),
    type: ConnectionType,
    environment: Environment,
    platform: Schema.String,
    identity: Schema.optional(Schema.String),
    identityType: Schema.optional(IdentityType),
    description: Schema.String,
    state: Schema.optional(ConnectionState),
    tags: Schema.optional(Schema.Array(Schema.String)),
    version: Schema.String,
    active: Schema.Boolean,
    createdAt: Schema.String
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
).annotations({ identifier: "Connection" })
export type Connection = typeof Connection.Type

/** One page of `GET /v1/vault/connections`. */
export const ConnectionsPage = Page(Connection).annotations({ identifier: "ConnectionsPage" })
export type ConnectionsPage = typeof ConnectionsPage.Type
