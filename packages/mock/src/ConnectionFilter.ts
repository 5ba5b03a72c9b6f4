import type { Connection } from "./Connection.js"

/** The listing filters of `GET /v1/vault/connections`; `undefined` means "not filtered". */
export interface ConnectionFilter {
  readonly active: boolean
  readonly keys: ReadonlySet<string> | undefined
  readonly tags: ReadonlySet<string> | undefined
  readonly platformVersion: string | undefined
  readonly name: string | undefined
  readonly identityType: string | undefined
  readonly identity: string | undefined
  readonly platform: string | undefined
  /** Any other parameter: an exact match on the field of that name, as the real backend does. */
  readonly otherFields: ReadonlyArray<readonly [field: string, value: string]>
}

/** A field's value as a query string would spell it; objects, arrays and null never match. */
const asParameter = (value: unknown): string | undefined =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : undefined

/** The test a row must pass, or undefined when nothing but `active` filters (a page is then a slice). */
export const matcher = (filter: ConnectionFilter): ((row: Connection) => boolean) | undefined => {
  const checks: Array<(row: Connection) => boolean> = []
  const { identity, identityType, keys, name, otherFields, platform, platformVersion, tags } = filter
  if (keys !== undefined) checks.push((row) => typeof row.key === "string" && keys.has(row.key))
  if (tags !== undefined) {
    checks.push((row) => Array.isArray(row.tags) && row.tags.some((tag) => tags.has(tag)))
  }
  const exact = { platformVersion, name, identityType, identity, platform }
  for (const [field, value] of Object.entries(exact)) {
    if (value !== undefined) checks.push((row) => row[field] === value)
  }
  for (const [field, value] of otherFields) checks.push((row) => asParameter(row[field]) === value)
  if (checks.length === 0) return undefined
  return (row) => checks.every((check) => check(row))
}
