import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { IdentityType } from "./Connection.js"
import { firstIssue } from "./ParseIssue.js"

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Text a URL carries unchanged: a lone UTF-16 surrogate would arrive as U+FFFD, another value. */
const WireText = Schema.String.pipe(
  Schema.filter((text) => !loneSurrogate.test(text) || "a lone UTF-16 surrogate cannot be sent in a URL")
)

/** One item of a comma-joined list: a comma inside it could not be told apart on the wire. */
const ListItem = WireText.pipe(
  Schema.nonEmptyString(),
  Schema.filter((item) => !item.includes(",") || "a comma cannot be sent inside a list item")
)

/** A comma-joined list: an empty one would arrive as an empty value, which the server reads as no filter. */
const List = Schema.Array(ListItem).pipe(
  Schema.minItems(1, { message: () => "an empty list would be sent as no filter at all" })
)

const PositiveInt = Schema.Int.pipe(Schema.positive())

/** Query parameters of `GET /v1/vault/connections`; `active` defaults to true on the server. */
export const ListConnectionsParams = Schema.Struct({
  key: Schema.optional(List),
  platformVersion: Schema.optional(WireText),
  name: Schema.optional(WireText),
  identityType: Schema.optional(IdentityType.known),
  identity: Schema.optional(WireText),
  platform: Schema.optional(WireText),
  tags: Schema.optional(List),
  active: Schema.optional(Schema.Boolean),
  limit: Schema.optional(PositiveInt),
  page: Schema.optional(PositiveInt)
}).annotations({ identifier: "ListConnectionsParams" })
export type ListConnectionsParams = typeof ListConnectionsParams.Type

/** Query parameters of `GET /v1/available-connectors`. */
export const ListConnectorsParams = Schema.Struct({
  platform: Schema.optional(WireText),
  key: Schema.optional(WireText),
  name: Schema.optional(WireText),
  category: Schema.optional(WireText),
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

const isPositiveInt = (value: unknown) => Number.isSafeInteger(value) && (value as number) > 0
const isBoolean = (value: unknown) => typeof value === "boolean"

/** The paging fields every request of a scan sends, and the values the schemas accept for them as they are. */
const plainFields: Readonly<Record<string, (value: unknown) => boolean>> = {
  active: isBoolean,
  authkit: isBoolean,
  limit: isPositiveInt,
  page: isPositiveInt
}

/**
 * The wire form of parameters holding only paging fields of `fields` with plain values, in the schema's
 * order, as its decode would give; undefined for anything else, which the schema decides. The schema
 * costs more than the rest of a request's own work.
 */
const plainUrlParams = (fields: ReadonlyArray<PropertyKey>, params: unknown): UrlParams | undefined => {
  if (typeof params !== "object" || params === null || Object.getPrototypeOf(params) !== Object.prototype) return undefined
  const record = params as Record<PropertyKey, unknown>
  const keys = Reflect.ownKeys(record)
  if (!keys.every((key) => typeof key === "string" && Object.hasOwn(plainFields, key) && fields.includes(key))) return undefined
  const out: Array<readonly [string, string]> = []
  for (const name of fields) {
    if (!Object.hasOwn(record, name)) continue
    const value = record[name]
    if (value === undefined) continue
    if (!plainFields[name as string]!(value)) return undefined
    out.push([name as string, String(value)])
  }
  return out
}

/** Checks parameters and renders their wire form, or names the first offending field. */
export const toUrlParams = <A extends Readonly<Record<string, unknown>>>(schema: Schema.Schema<A>) => {
  const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })
  const fields = SchemaAST.getPropertySignatures(schema.ast).map((field) => field.name)
  const checked = (params: unknown): Either.Either<UrlParams, InvalidParam> =>
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
  return (params: unknown): Either.Either<UrlParams, InvalidParam> => {
    const plain = plainUrlParams(fields, params)
    return plain === undefined ? checked(params) : Either.right(plain)
  }
}
