import { createHash, randomUUID } from "node:crypto"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"

const read = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8").trim()
  } catch {
    return undefined
  }
}

const pidNamespace = () => {
  try {
    return fs.readlinkSync("/proc/self/ns/pid")
  } catch {
    return undefined
  }
}

/** A random id kept in the temp directory: the same for every process of this user on this boot, or close to it. */
const tmpId = () => {
  const file = path.join(tmpdir(), "picasync-machine-id")
  try {
    fs.writeFileSync(file, randomUUID(), { flag: "wx" })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return randomUUID()
  }
  return read(file) ?? randomUUID()
}

let cached: string | undefined

/**
 * Where a pid names the same process: on Linux, this kernel boot and this pid namespace (containers
 * on one host differ, a renamed host does not); elsewhere, an id kept in the temp directory. Two
 * processes with equal ids can check each other's pid; unequal ids fall back to the heartbeat.
 */
export const id = (): string => {
  if (cached !== undefined) return cached
  const boot = read("/proc/sys/kernel/random/boot_id")
  const namespace = pidNamespace()
  const source = boot !== undefined && namespace !== undefined ? `linux ${boot} ${namespace}` : `tmp ${tmpId()}`
  cached = createHash("sha256").update(source).digest("hex").slice(0, 32)
  return cached
}
