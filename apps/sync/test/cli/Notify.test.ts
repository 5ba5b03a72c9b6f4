import { assert, describe, it } from "@effect/vitest"
import type { MockPica } from "@picasync/mock"
import { Effect, Redacted } from "effect"
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import type { ChangeEvent as Event } from "../../src/Changes.js"
import { signature } from "../../src/Notify.js"
import { runCli } from "../cliInProcess.js"
import { apiEnv, count, rows, spawnCli, startMock, tempDir, waitFor } from "../harness.js"

interface Received {
  readonly body: string
  readonly signature: string | undefined
  readonly authorization: string | undefined
  readonly events: ReadonlyArray<Event>
}

/**
 * A webhook receiver on a loopback port: answers `ok` with 204, `fail` with 500, `missing` with 404 and
 * `hang` never (the request stays open), recording every body it gets.
 */
type Mode = "ok" | "fail" | "missing" | "hang"
const statuses = { ok: 204, fail: 500, missing: 404 } as const

const startReceiver = Effect.acquireRelease(
  Effect.async<{ url: string; received: Array<Received>; answer: { mode: Mode }; close: () => void }>((resume) => {
    const received: Array<Received> = []
    const answer = { mode: "ok" as Mode }
    const hanging: Array<ServerResponse> = []
    const server = createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        const header = request.headers["x-picasync-signature"]
        const { authorization } = request.headers
        received.push({ body, signature: typeof header === "string" ? header : undefined, authorization, events: JSON.parse(body).events })
        if (answer.mode === "hang") return void hanging.push(response)
        response.writeHead(statuses[answer.mode]).end()
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/picasync`,
        received,
        answer,
        close: () => {
          server.closeAllConnections()
          server.close()
        }
      })))
  }),
  (receiver) => Effect.sync(() => receiver.close())
)

const SECRET = "whsec_test_0123456789"

const setup = (count: number, seed: number) =>
  Effect.gen(function*() {
    const mock = yield* startMock({ count, seed })
    const receiver = yield* startReceiver
    const url = `file:${join(yield* tempDir, "mirror.db")}`
    const env = {
      ...apiEnv(mock),
      PICASYNC_DB: url,
      PICASYNC_NOTIFY_URL: receiver.url,
      PICASYNC_NOTIFY_SECRET: SECRET
    }
    return { mock, receiver, url, env }
  })

const events = (received: ReadonlyArray<Received>) => received.flatMap((request) => request.events)
const undelivered = (url: string) => count(url, "SELECT 1 FROM undelivered_notifications")
const listed = (mock: MockPica.MockPicaServer) => Effect.map(mock.inventory, (rows) => rows.length)

describe("change notifications (sync --notify-url, picasync notify)", () => {
  it.scopedLive("each run's changes are posted once committed, signed, with stable ids; an unchanged re-sync posts nothing", () =>
    Effect.gen(function*() {
      const { env, mock, receiver, url } = yield* setup(250, 31)
      const first = yield* runCli(["sync"], env)
      assert.strictEqual(first.exitCode, 0, first.stderr)
      const inserted = events(receiver.received)
      assert.strictEqual(inserted.length, yield* listed(mock))
      assert.strictEqual(new Set(inserted.map((event) => event.id)).size, inserted.length, "ids are unique")
      assert.isTrue(inserted.every((event) => event.kind === "inserted" && event.source === "test" && event.run_id === 1))
      const truth = new Map((yield* mock.inventory).map((row) => [row.id, row]))
      for (const event of inserted) {
        const row = truth.get(event.connection_id)!
        assert.deepStrictEqual([event.platform, event.environment, event.state], [row.platform ?? null, row.environment ?? null, row.state ?? null])
      }
      for (const request of receiver.received) {
        assert.strictEqual(request.signature, signature(request.body, Redacted.make(SECRET)))
        assert.isAtMost(request.events.length, 100)
      }
      const [target] = [...truth.keys()]
      assert.isDefined(target)
      yield* mock.update(target, { name: "renamed" })
      const second = yield* runCli(["sync"], env)
      assert.strictEqual(second.exitCode, 0, second.stderr)
      const updated = events(receiver.received).slice(inserted.length)
      assert.strictEqual(updated.length, 1)
      const [update] = updated
      assert.isDefined(update)
      assert.include(update, { kind: "updated", connection_id: target, run_id: 2 })
      assert.deepStrictEqual(update.changed_fields?.name?.new, "renamed")
      const requests = receiver.received.length
      const third = yield* runCli(["sync"], env)
      assert.strictEqual(third.exitCode, 0, third.stderr)
      assert.strictEqual(receiver.received.length, requests, "an unchanged re-sync posts nothing")
      assert.strictEqual(yield* undelivered(url), 0)
      for (const text of [first.stdout, first.stderr, second.stderr]) assert.notInclude(text, SECRET)
    }), { timeout: 90_000 })

  it.scopedLive("a receiver that fails keeps them queued and visible with its error; picasync notify delivers them later", () =>
    Effect.gen(function*() {
      const { env, mock, receiver, url } = yield* setup(120, 32)
      receiver.answer.mode = "fail"
      const sync = yield* runCli(["sync", "--notify-kinds", "inserted"], env)
      assert.strictEqual(sync.exitCode, 1)
      assert.match(sync.stderr, /could not deliver change notifications to http:\/\/127\.0\.0\.1:\d+\/hooks\/picasync: HTTP 500; \d+ wait in undelivered_notifications/)
      assert.deepStrictEqual(yield* rows(url, "SELECT status FROM sync_runs"), [{ status: "succeeded" }], "the mirror's run itself succeeded")
      const queued = yield* listed(mock)
      assert.strictEqual(yield* undelivered(url), queued)
      const [pending] = yield* rows<{ attempts: number; last_error: string }>(url, "SELECT attempts, last_error FROM undelivered_notifications LIMIT 1")
      assert.deepStrictEqual({ ...pending }, { attempts: 1, last_error: "HTTP 500" })
      assert.isAbove(receiver.received.length, 1, "the batch was tried again before giving up")
      receiver.answer.mode = "ok"
      const tried = receiver.received.length
      const notify = yield* runCli(["notify"], env)
      assert.strictEqual(notify.exitCode, 0, notify.stderr)
      assert.strictEqual(yield* undelivered(url), 0)
      assert.strictEqual(new Set(events(receiver.received.slice(tried)).map((event) => event.id)).size, queued)
      const usage = yield* runCli(["sync", "--notify-kinds", "inserted,created"], env)
      assert.strictEqual(usage.exitCode, 2)
      assert.include(usage.stderr, "--notify-kinds")
    }), { timeout: 90_000 })

  it.scopedLive("a receiver's 404 is not tried again; a password in its URL goes as Basic auth and is shown nowhere", () =>
    Effect.gen(function*() {
      const { env, receiver, url } = yield* setup(40, 35)
      const password = "hunter2Notify"
      const withCredentials = receiver.url.replace("http://", `http://hooks:${password}@`)
      receiver.answer.mode = "missing"
      const sync = yield* runCli(["sync"], { ...env, PICASYNC_NOTIFY_URL: withCredentials })
      assert.strictEqual(sync.exitCode, 1)
      assert.include(sync.stderr, ": HTTP 404;")
      assert.strictEqual(receiver.received.length, 1, "a 404 will not change: one attempt")
      assert.strictEqual(receiver.received[0]!.authorization, `Basic ${Buffer.from(`hooks:${password}`).toString("base64")}`)
      receiver.answer.mode = "ok"
      const notify = yield* runCli(["notify", "--notify-url", withCredentials], env)
      assert.strictEqual(notify.exitCode, 0, notify.stderr)
      assert.strictEqual(yield* undelivered(url), 0)
      const stored = JSON.stringify(yield* rows(url, "SELECT * FROM notification_outbox"))
      for (const text of [sync.stdout, sync.stderr, notify.stdout, notify.stderr, stored]) {
        assert.notInclude(text, password)
      }
    }), { timeout: 90_000 })

  it.scopedLive("kill -9 between commit and delivery: the next run delivers them, and the receiver deduplicates by id", () =>
    Effect.gen(function*() {
      const { env, mock, receiver, url } = yield* setup(150, 33)
      receiver.answer.mode = "hang"
      const killed = yield* spawnCli(["sync"], env)
      yield* waitFor("the first notification request", Effect.sync(() => receiver.received.length > 0), 60)
      killed.child.kill("SIGKILL")
      assert.strictEqual(yield* killed.exitCode, 137)
      const all = yield* listed(mock)
      assert.strictEqual(yield* count(url, "SELECT 1 FROM connections"), all, "the run had committed")
      assert.strictEqual(yield* undelivered(url), all, "nothing was marked delivered")
      receiver.answer.mode = "ok"
      const next = yield* runCli(["sync"], env)
      assert.strictEqual(next.exitCode, 0, next.stderr)
      assert.strictEqual(yield* undelivered(url), 0)
      const byId = new Map(events(receiver.received).map((event) => [event.id, event]))
      assert.strictEqual(byId.size, all, "every change once, after deduplication by id")
      assert.isTrue([...byId.values()].every((event) => event.kind === "inserted" && event.run_id === 1))
    }), { timeout: 90_000 })

  it.scopedLive("a run that fails queues nothing", () =>
    Effect.gen(function*() {
      const { env, mock, receiver, url } = yield* setup(900, 34)
      yield* mock.setFaults({ errors: { rate: 1 }, script: Array.from({ length: 4 }, () => ({})) })
      const failed = yield* runCli(["sync", "--retry-for", "1s", "--retry-max-delay", "1s"], env)
      assert.strictEqual(failed.exitCode, 1)
      assert.deepStrictEqual(yield* rows(url, "SELECT status FROM sync_runs"), [{ status: "failed" }])
      assert.strictEqual(yield* count(url, "SELECT 1 FROM notification_outbox"), 0)
      assert.strictEqual(receiver.received.length, 0)
    }), { timeout: 90_000 })
})
