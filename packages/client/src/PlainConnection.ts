/*
 * `Connection` decoded through Effect Schema costs more than fetching and parsing the page. Nearly
 * every row the server sends is plain: this check accepts exactly such rows, never more than the
 * schema would, and the row is then used as it came. Anything else goes through the schema, which
 * decides and names the offending field.
 */

const isString = (value: unknown): value is string => typeof value === "string"
const isNonEmptyString = (value: unknown) => typeof value === "string" && value !== ""
const isAbsent = (value: unknown) => value === undefined || value === null
const optionalString = (value: unknown) => isAbsent(value) || isString(value)

/** True when `Connection` would accept `value` as it is: `id` and `key`, and every other known field absent, null or of its type. */
export const isPlainConnection = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const row = value as Record<string, unknown>
  return isNonEmptyString(row.id) &&
    isNonEmptyString(row.key) &&
    optionalString(row.platformVersion) &&
    optionalString(row.name) &&
    optionalString(row.type) &&
    optionalString(row.environment) &&
    optionalString(row.platform) &&
    optionalString(row.identity) &&
    optionalString(row.identityType) &&
    optionalString(row.description) &&
    optionalString(row.state) &&
    (isAbsent(row.tags) || (Array.isArray(row.tags) && row.tags.every(isString))) &&
    optionalString(row.version) &&
    (isAbsent(row.active) || typeof row.active === "boolean") &&
    optionalString(row.createdAt)
}
