import * as Schema from "effect/Schema"
import { Page } from "./Page.js"
import { tolerantLiterals } from "./Unrecognized.js"

export const ConnectorStatus = tolerantLiterals("generally_available", "beta", "alpha", "not_available")
export type ConnectorStatus = typeof ConnectorStatus.Type

/** A platform Pica can connect to, from `GET /v1/available-connectors`. */
export const Connector = Schema.Struct(
  {
    id: Schema.Number,
    name: Schema.String,
    key: Schema.NonEmptyString,
    platform: Schema.String,
    platformVersion: Schema.optional(Schema.String),
    status: Schema.optional(ConnectorStatus),
    description: Schema.optional(Schema.String),
    category: Schema.optional(Schema.String),
    image: Schema.optional(Schema.NullOr(Schema.String)),
    tags: Schema.optional(Schema.Array(Schema.String)),
    oauth: Schema.optional(Schema.Boolean),
    version: Schema.optional(Schema.String),
    active: Schema.optional(Schema.Boolean)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
).annotations({ identifier: "Connector" })
export type Connector = typeof Connector.Type

/** One page of `GET /v1/available-connectors`. */
export const ConnectorsPage = Page(Connector).annotations({ identifier: "ConnectorsPage" })
export type ConnectorsPage = typeof ConnectorsPage.Type
