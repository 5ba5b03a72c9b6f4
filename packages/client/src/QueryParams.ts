import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { IdentityType } from "./Connection.js"
import { firstIssue } from "./ParseIssue.js"

/** One item of a comma-joined list: a comma inside it could not be told apart on the wire. */
const ListItem = Schema.NonEmptyString.pipe(
  Schema.filter((item) => !item.includes(",") || "a comma cannot be sent inside a list item")
)

const PositiveInt = Schema.Int.pipe(Schema.positive())

/** Query parameters of `GET /v1/vault/connections`; `active` defaults to true on the server. */
export const ListConnectionsParams = Schema.Struct({
  key: Schema.optional(Schema.Array(ListItem)),
  platformVersion: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  identityType: Schema.optional(IdentityType.known),
  identity: Schema.optional(Schema.String),
  platform: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Array(ListItem)),
  active: Schema.optional(Schema.Boolean),
  limit: Schema.optional(PositiveInt),
  page: Schema.optional(PositiveInt)
}).annotations({ identifier: "ListConnectionsParams" })
export type ListConnectionsParams = typeof ListConnectionsParams.Type

/** Query parameters of `GET /v1/available-connectors`. */
export const ListConnectorsParams = Schema.Struct({
  platform: Schema.optional(Schema.String),
  key: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  category: Schema.optional(Schema.String),
  authkit: Schema.optional(Schema.Boolean),
  limit: Schema.optional(PositiveInt),
  page: Schema.optional(PositiveInt)
}).annotations({ identifier: "ListConnectorsParams" })
export type ListConnectorsParams = typeof ListConnectorsParams.Type

export type UrlParams = ReadonlyArray<readonly [string, string]>

export interface InvalidParam {
  readonly field: string
  readonly reason: string
}

/** Checks parameters and renders their wire form, or names the first offending field. */
export const toUrlParams = <A extends Readonly<Record<string, unknown>>>(schema: Schema.Schema<A>) => {
  const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })
  return (params: unknown): Either.Either<UrlParams, InvalidParam> =>
    decode(params).pipe(
      Either.mapLeft((error) => {
        const issue = firstIssue(error)
        return { field: issue.path === "" ? "params" : issue.path, reason: issue.message }
      }),
      Either.map((valid) =>
        Object.entries(valid).flatMap(([name, value]): UrlParams =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(",") : String(value)]]
        )
      )
    )
}
