import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { sync, synced, waitFor } from "./harness.js"

/** Another process that takes the database's write lock and keeps it for `millis`. */
const holdWriteLock = (url: string, millis: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const script = `import { createClient } from "@libsql/client"
const tx = await createClient({ url: ${JSON.stringify(url)} }).transaction("write")
console.log("locked")
setTimeout(() => tx.rollback().then(() => process.exit(0)), ${millis})`
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd: fileURLToPath(new URL("..", import.meta.url))
      })
      let out = ""
      child.stdout.on("data", (chunk) => (out += chunk))
      return { child, locked: () => out.includes("locked") }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

describe("Database", () => {
  it.scopedLive("waits out another process's write transaction longer than the busy timeout", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(50)
      const holder = yield* holdWriteLock(url, 6_000)
      yield* waitFor("the other process to lock the database", Effect.sync(holder.locked))
      yield* mock.insert({})
      const run = yield* sync({ mock, url })
      assert.include(run, { status: "succeeded", inserted: 1 })
    }))
})
