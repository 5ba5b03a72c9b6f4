/** Sorted key orders by the order the keys came in: rows of one API share a handful of shapes. */
const sortedOrders = new Map<string, ReadonlyArray<string>>()
const MAX_ORDERS = 1_000

const sortedKeys = (object: object): ReadonlyArray<string> => {
  const keys = Object.keys(object)
  const shape = keys.join("\u0000")
  let sorted = sortedOrders.get(shape)
  if (sorted === undefined) {
    sorted = keys.sort()
    if (sortedOrders.size < MAX_ORDERS) sortedOrders.set(shape, sorted)
  }
  return sorted
}

/** `value` with every object's keys sorted, so equal content always serialises the same way. */
const canonical = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map(canonical)
  const object = value as Record<string, unknown>
  // A plain object keeps V8's fast serialisation; a field named `__proto__` is defined, not assigned, so it stays a field.
  const sorted: Record<string, unknown> = {}
  for (const key of sortedKeys(object)) {
    if (key === "__proto__") Object.defineProperty(sorted, key, { value: canonical(object[key]), enumerable: true, writable: true, configurable: true })
    else sorted[key] = canonical(object[key])
  }
  return sorted
}

/**
 * `value` as JSON with its keys sorted at every depth: what the mirror's `raw` columns hold and
 * `content_hash` hashes, so the same content is the same text whatever order its keys came in.
 */
export const canonicalJson = (value: unknown): string => JSON.stringify(canonical(value))
