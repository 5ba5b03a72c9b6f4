/**
 * The shape the open-source backend serialises rows in: `_id` instead of `id`, `createdAt` in epoch
 * milliseconds. Whether a hosted deployment still sends it is unknown, so both are read.
 */

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Epoch milliseconds as ISO 8601; anything that is no instant stays as it was, for the schema to refuse. */
const isoFromMillis = (millis: number): string | number => {
  const date = new Date(millis)
  return Number.isFinite(date.getTime()) ? date.toISOString() : millis
}

/** `row` in the current shape when it came in the older one; the same object otherwise. */
export const upgrade = (row: unknown): unknown => {
  if (!isRecord(row)) return row
  const renamed = row.id === undefined && typeof row._id === "string"
  const numericCreatedAt = typeof row.createdAt === "number"
  if (!renamed && !numericCreatedAt) return row
  const { _id, ...rest } = row
  return {
    ...(renamed ? { id: _id } : row),
    ...(renamed ? rest : {}),
    ...(numericCreatedAt ? { createdAt: isoFromMillis(row.createdAt as number) } : {})
  }
}
