import { Data, Either } from "effect"
import type * as Connectors from "./Connectors.js"
import * as Connection from "./Connection.js"
import type { ConnectionFilter } from "./ConnectionFilter.js"
import * as PageCap from "./PageCap.js"

/** A malformed query parameter, answered with 400. */
export class InvalidParameter extends Data.TaggedError("InvalidParameter")<{
  readonly param: string
  readonly message: string
}> {}

export interface Paging {
  /** How many rows the page holds at most: `limit` under the server's cap. */
  readonly limit: number
  readonly page: number
  readonly offset: number
  /** The page size `pages` is counted by. */
  readonly countedBy: number
}

export interface ListConnectionsQuery extends Paging {
  readonly filter: ConnectionFilter
}

export interface ListConnectorsQuery extends Paging {
  readonly filter: Connectors.ConnectorFilter
}

/** An empty value counts as absent, like a parameter that was not sent. */
const text = (params: URLSearchParams, name: string): string | undefined => {
  const value = params.get(name)
  return value === null || value === "" ? undefined : value
}

/** A comma-separated list, matched any-of. */
const list = (params: URLSearchParams, name: string): ReadonlySet<string> | undefined => {
  const items = text(params, name)?.split(",").map((item) => item.trim()).filter((item) => item !== "")
  return items === undefined || items.length === 0 ? undefined : new Set(items)
}

const positiveInteger = (params: URLSearchParams, name: string, fallback: number): Either.Either<number, InvalidParameter> => {
  const value = text(params, name)
  if (value === undefined) return Either.right(fallback)
  const parsed = Number(value)
  return /^\d+$/.test(value) && Number.isSafeInteger(parsed) && parsed >= 1
    ? Either.right(parsed)
    : Either.left(new InvalidParameter({ param: name, message: `${name} must be an integer >= 1, got "${value}"` }))
}

const boolean = <D extends boolean | undefined>(
  params: URLSearchParams,
  name: string,
  fallback: D
): Either.Either<boolean | D, InvalidParameter> => {
  const value = text(params, name)
  if (value === undefined) return Either.right(fallback)
  if (value === "true" || value === "false") return Either.right(value === "true")
  return Either.left(new InvalidParameter({ param: name, message: `${name} must be true or false, got "${value}"` }))
}

const identityType = (params: URLSearchParams): Either.Either<string | undefined, InvalidParameter> => {
  const value = text(params, "identityType")
  return value === undefined || (Connection.identityTypes as ReadonlyArray<string>).includes(value)
    ? Either.right(value)
    : Either.left(
      new InvalidParameter({
        param: "identityType",
        message: `identityType must be one of ${Connection.identityTypes.join(", ")}, got "${value}"`
      })
    )
}

const paging = (params: URLSearchParams, pageCap: PageCap.Settings): Either.Either<Paging, InvalidParameter> =>
  Either.flatMap(
    Either.all({ limit: positiveInteger(params, "limit", 20), page: positiveInteger(params, "page", 1) }),
    ({ limit, page }) =>
      Either.match(PageCap.window(pageCap, limit, page), {
        onLeft: (message) => Either.left(new InvalidParameter({ param: "limit", message })),
        onRight: ({ countedBy, offset, size }) => Either.right({ limit: size, page, offset, countedBy })
      })
  )

const documented = new Set(["key", "platformVersion", "name", "identityType", "identity", "platform", "tags", "active", "limit", "page"])

/** Every other parameter (its first value, empty included) filters on the field of that name. */
const otherFields = (params: URLSearchParams): ReadonlyArray<readonly [string, string]> => {
  const first = new Map<string, string>()
  for (const [name, value] of params) if (!documented.has(name) && !first.has(name)) first.set(name, value)
  return Array.from(first)
}

/**
 * The ten documented parameters of `GET /v1/vault/connections`; any other one is an
 * exact-match filter, as the real backend makes it (a misspelt one matches nothing).
 */
export const listConnections = (
  params: URLSearchParams,
  pageCap: PageCap.Settings
): Either.Either<ListConnectionsQuery, InvalidParameter> =>
  Either.map(
    Either.all({ paging: paging(params, pageCap), active: boolean(params, "active", true), identityType: identityType(params) }),
    ({ active, identityType, paging }) => ({
      ...paging,
      filter: {
        active,
        keys: list(params, "key"),
        tags: list(params, "tags"),
        platformVersion: text(params, "platformVersion"),
        name: text(params, "name"),
        identityType,
        identity: text(params, "identity"),
        platform: text(params, "platform"),
        otherFields: otherFields(params)
      }
    })
  )

/** The parameters of `GET /v1/available-connectors`. */
export const listConnectors = (
  params: URLSearchParams,
  pageCap: PageCap.Settings
): Either.Either<ListConnectorsQuery, InvalidParameter> =>
  Either.map(
    Either.all({ paging: paging(params, pageCap), authkit: boolean(params, "authkit", undefined) }),
    ({ authkit, paging }) => ({
      ...paging,
      filter: {
        platform: text(params, "platform"),
        keys: list(params, "key"),
        name: text(params, "name"),
        category: text(params, "category"),
        authkit
      }
    })
  )
