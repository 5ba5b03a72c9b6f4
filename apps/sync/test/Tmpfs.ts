import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { closeSync, existsSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const mount = (dir: string, megabytes: number) => spawnSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir], { encoding: "utf8" })

/** Unmounts `dir`, lazily when a process killed a moment ago still holds a file open in it, then removes it. */
const unmount = (dir: string) => {
  if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir])
  rmdirSync(dir)
}

/**
 * Why a small file system of its own cannot be mounted here, or undefined when it can: only root may
 * mount a tmpfs (CI runs as root), and a container may refuse even root.
 */
export const cannotMount: string | undefined = (() => {
  if (process.getuid?.() !== 0) return "not root: only root can mount the small tmpfs these tests fill"
  const dir = mkdtempSync(join(tmpdir(), "picasync-tmpfs-probe-"))
  const probe = mount(dir, 1)
  if (probe.status !== 0) {
    rmdirSync(dir)
    return `mount -t tmpfs failed: ${(probe.stderr || probe.error?.message || "").trim()}`
  }
  unmount(dir)
  return undefined
})()

export interface Tmpfs {
  readonly dir: string
  /** Fills the file system to its last byte with a ballast file; synchronous, so a hook can fill it at an exact moment. */
  readonly fill: () => void
  /** Whether `fill` ran and `free` has not since. */
  readonly filled: () => boolean
  /** Removes the ballast. */
  readonly free: () => void
}

const CHUNK = Buffer.alloc(1024 * 1024)

/** A tmpfs of `megabytes` MiB mounted on a fresh directory, unmounted with the scope. */
export const mountTmpfs = (megabytes: number) =>
  Effect.acquireRelease(
    Effect.sync((): Tmpfs => {
      const dir = mkdtempSync(join(tmpdir(), "picasync-tmpfs-"))
      const mounted = mount(dir, megabytes)
      if (mounted.status !== 0) throw new Error(`mount -t tmpfs on ${dir} failed: ${mounted.stderr}`)
      const ballast = join(dir, "ballast")
      const fill = () => {
        const fd = openSync(ballast, "a")
        try {
          // Megabytes while they fit, then pages: tmpfs hands out space a page at a time.
          for (const size of [CHUNK.length, 4096, 1]) {
            try {
              while (true) writeSync(fd, CHUNK, 0, size)
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error
            }
          }
        } finally {
          closeSync(fd)
        }
      }
      return { dir, fill, filled: () => existsSync(ballast), free: () => rmSync(ballast, { force: true }) }
    }),
    ({ dir }) => Effect.sync(() => unmount(dir))
  )
