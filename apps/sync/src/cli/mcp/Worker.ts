/**
 * The process that reads the mirror for the MCP server. libSQL runs a statement on a local file
 * synchronously, so a slow one would hold the server's only thread and no timer could stop it: each
 * call runs in this child instead, which the server kills at the time limit and starts afresh after.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import { type ChildProcess, fork } from "node:child_process"
import type { MirrorDatabaseOptions } from "../../db/MirrorDatabase.js"
import { forCli } from "../Advice.js"
import * as Mirror from "../Mirror.js"
import { type Settings, tools } from "./Tools.js"

/** Set in the child's environment: `picasync mcp` with it serves the server's calls over IPC instead of MCP. */
export const ROLE_VARIABLE = "PICASYNC_MCP_ROLE"

interface CallRequest {
  readonly name: string
  readonly arguments: unknown
}

/** What a tool call answers, as the MCP result carries it. */
export interface Answer {
  readonly isError: boolean
  readonly text: string
}

type WorkerMessage = { readonly _tag: "ready" } | ({ readonly _tag: "answer" } & Answer)

const toolNames = tools.map((tool) => tool.name).join(", ")

/** `sql: is missing; params.limit: Expected string, actual {}`: every issue, on one line. */
const inputIssues = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "input" : issue.path.join(".")}: ${issue.message.replace(/\s+/g, " ")}`)
    .join("; ")

/** One call, in the child: its input decoded, run on the mirror opened for it alone, any failure as the CLI's one line. */
const answer = (request: CallRequest, database: MirrorDatabaseOptions, settings: Settings): Effect.Effect<Answer> => {
  const tool = tools.find((candidate) => candidate.name === request.name)
  if (tool === undefined) {
    return Effect.succeed({ isError: true, text: `there is no tool "${request.name}"; the tools are ${toolNames}` })
  }
  return Schema.decodeUnknown(tool.input, { onExcessProperty: "error", errors: "all" })(request.arguments ?? {}).pipe(
    Effect.mapError((error) =>
      new InvalidInput({ message: `the input of ${tool.name} does not fit its schema: ${inputIssues(error)}` })
    ),
    Effect.flatMap((input) => Effect.provide(tool.run(input, settings), Mirror.readable(database))),
    Effect.map((value): Answer => ({ isError: false, text: JSON.stringify(value) })),
    Effect.catchAllCause((cause) =>
      Effect.succeed<Answer>({
        isError: true,
        text: cause._tag === "Fail" ? forCli(cause.error) : `unexpected failure of ${tool.name}; see the server's log`
      })
    ),
    Effect.withSpan(`Mcp.${tool.name}`)
  )
}

class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", { message: Schema.String }) {}

/** The child's life: answer the server's calls one by one until the server goes (its IPC channel closes). */
export const serve = (database: MirrorDatabaseOptions, settings: Settings) =>
  Effect.gen(function*() {
    const run = Runtime.runPromise(yield* Effect.runtime<never>())
    const send = (message: WorkerMessage) => process.send?.(message)
    yield* Effect.async<void>((resume) => {
      const onMessage = (request: CallRequest) =>
        void run(answer(request, database, settings)).then((reply) => send({ _tag: "answer", ...reply }))
      process.on("message", onMessage)
      process.once("disconnect", () => resume(Effect.void))
      send({ _tag: "ready" })
      return Effect.sync(() => process.off("message", onMessage))
    })
  })

const stopped = (child: ChildProcess) =>
  `the process reading the mirror stopped (${
    child.signalCode === null ? `exit code ${child.exitCode}` : child.signalCode
  }); the next call starts a new one`

/** Waits for the child's next message, or fails with why it stopped. */
const nextMessage = (child: ChildProcess) =>
  Effect.async<WorkerMessage, string>((resume) => {
    const onMessage = (message: WorkerMessage) => resume(Effect.succeed(message))
    const onExit = () => resume(Effect.fail(stopped(child)))
    child.once("message", onMessage)
    child.once("exit", onExit)
    if (child.exitCode !== null || child.signalCode !== null) onExit()
    return Effect.sync(() => {
      child.off("message", onMessage)
      child.off("exit", onExit)
    })
  })

/**
 * The server's side: calls run one at a time in a child started on the first call; a call past
 * `timeLimit` has its child killed (the statement with it) and answers so.
 */
export const make = (options: { readonly timeLimit: Duration.Duration }) =>
  Effect.gen(function*() {
    const permit = yield* Effect.makeSemaphore(1)
    let current: ChildProcess | undefined
    const kill = () => {
      current?.kill("SIGKILL")
      current = undefined
    }
    yield* Effect.addFinalizer(() => Effect.sync(kill))

    /** The same command line in a child, with an IPC channel; its stdout is dropped, as only the protocol may go there. */
    const start = Effect.suspend(() => {
      const script = process.argv[1]
      if (script === undefined) {
        return Effect.fail("this process has no script path (process.argv[1]) to start the mirror's reader from; run it as `picasync mcp`")
      }
      const child = fork(script, process.argv.slice(2), {
        execArgv: process.execArgv,
        env: { ...process.env, [ROLE_VARIABLE]: "worker" },
        stdio: ["ignore", "ignore", "inherit", "ipc"]
      })
      current = child
      return Effect.as(nextMessage(child), child)
    })

    const limit = Duration.format(options.timeLimit)
    const call = (name: string, args: unknown): Effect.Effect<Answer> =>
      permit.withPermits(1)(
        Effect.gen(function*() {
          const child = current ?? (yield* start)
          child.send({ name, arguments: args } satisfies CallRequest)
          const reply = yield* nextMessage(child).pipe(
            Effect.timeoutFail({
              duration: options.timeLimit,
              onTimeout: () => {
                kill()
                return `${name} ran past the time limit of ${limit} (--time-limit) and was stopped; ` +
                  "ask for less (a WHERE, a LIMIT, no recursion without an end)"
              }
            })
          )
          if (reply._tag !== "answer") return yield* Effect.fail("the process reading the mirror answered out of turn")
          return { isError: reply.isError, text: reply.text }
        }).pipe(
          Effect.catchAll((text) => {
            if (current?.exitCode !== null || current?.signalCode !== null) current = undefined
            return Effect.succeed<Answer>({ isError: true, text })
          })
        )
      )
    /** Waits for the calls already made to be answered. */
    const drain = permit.withPermits(1)(Effect.void)
    return { call, drain }
  })
