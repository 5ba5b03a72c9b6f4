import * as fs from "node:fs"
import * as path from "node:path"

/** Whether `error` says the disk is full: SQLite's `SQLITE_FULL` (libSQL's code for it) or the system's `ENOSPC`. */
export const isFull = (error: unknown): boolean => {
  const code = (error as { readonly code?: unknown } | null)?.code
  return code === "SQLITE_FULL" || code === "ENOSPC"
}

const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const

/** `bytes` for a person: `0 B`, `12 KiB`, `3.4 MiB`. */
const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 || value >= 10 ? Math.floor(value) : Math.floor(value * 10) / 10} ${units[unit]}`
}

/** The space left to this user on the file system holding `file`, as `formatBytes` writes it; undefined when it cannot be read. */
export const freeBeside = (file: string): string | undefined => {
  try {
    const stats = fs.statfsSync(path.dirname(file))
    return formatBytes(stats.bavail * stats.bsize)
  } catch {
    return undefined
  }
}

/** Why a file could not be written, in a few words: the disk full and the space left, or the system's message. */
export const writeFailure = (file: string, error: unknown): string => {
  if (isFull(error)) {
    const free = freeBeside(file)
    return `the disk is full${free === undefined ? "" : ` (${free} free)`}`
  }
  return error instanceof Error ? error.message : String(error)
}
