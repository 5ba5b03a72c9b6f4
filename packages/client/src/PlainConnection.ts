import type { ConnectionsPage } from "./Connection.js"

/*
 * `Connection` decoded through Effect Schema costs more than fetching and parsing the page. Nearly
 * every page the server sends is plain: these checks accept exactly such pages, never more than the
 * schema would, and hand back the same content. Anything else goes through the schema, which
 * decides and names the offending field.
 */

const isString = (value: unknown): value is string => typeof value === "string"
const isNonEmptyString = (value: unknown) => typeof value === "string" && value !== ""
const isCount = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value) && value >= 0

/** True when `Connection` would accept `value` as it is: every known field of the right type. */
const isPlainConnection = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const row = value as Record<string, unknown>
  return isNonEmptyString(row.id) &&
    isNonEmptyString(row.key) &&
    isString(row.platformVersion) &&
    (row.name === undefined || row.name === null || isString(row.name)) &&
    isString(row.type) &&
    isString(row.environment) &&
    isString(row.platform) &&
    (row.identity === undefined || isString(row.identity)) &&
    (row.identityType === undefined || isString(row.identityType)) &&
    isString(row.description) &&
    (row.state === undefined || isString(row.state)) &&
    (row.tags === undefined || (Array.isArray(row.tags) && row.tags.every(isString))) &&
    isString(row.version) &&
    typeof row.active === "boolean" &&
    isString(row.createdAt)
}

/** The page, when `json` is a plain connections page; undefined when the schema must decide. */
export const connectionsPage = (json: unknown): ConnectionsPage | undefined => {
  if (typeof json !== "object" || json === null) return undefined
  const { page, pages, rows, total } = json as Record<string, unknown>
  if (!Array.isArray(rows) || !isCount(total) || !isCount(pages) || !isCount(page) || !rows.every(isPlainConnection)) {
    return undefined
  }
  return { rows, total, pages, page } as ConnectionsPage
}
