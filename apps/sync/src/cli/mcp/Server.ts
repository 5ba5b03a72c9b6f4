/**
 * The MCP server over stdio, on the official SDK's low-level `Server`: Effect's `McpServer` (`@effect/ai`
 * 0.37) sends no `instructions`, answers an unknown tool with a protocol error rather than a tool error,
 * and puts a failure's JSON where an agent wants the one-line message.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import { instructions, listing } from "./Tools.js"
import * as Worker from "./Worker.js"

/** Serves MCP on stdin and stdout until the client closes stdin, then answers the calls made; each runs in the worker. */
export const serve = Effect.fn("Mcp.serve")(function*(options: {
  readonly version: string
  readonly timeLimit: Duration.Duration
}) {
  const worker = yield* Worker.make({ timeLimit: options.timeLimit })
  const run = Runtime.runPromise(yield* Effect.runtime<never>())
  const server = new Server({ name: "picasync", version: options.version }, { capabilities: { tools: {} }, instructions })
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }))
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const answer = await run(worker.call(request.params.name, request.params.arguments))
    return { isError: answer.isError, content: [{ type: "text", text: answer.text }] }
  })
  yield* Effect.acquireRelease(
    Effect.promise(() => server.connect(new StdioServerTransport())),
    () => Effect.promise(() => server.close())
  )
  yield* Effect.async<void>((resume) => {
    const onEnd = () => resume(Effect.void)
    process.stdin.once("end", onEnd)
    return Effect.sync(() => process.stdin.off("end", onEnd))
  })
  yield* worker.drain
  // The SDK writes an answer in a promise callback after the handler returns: one turn of the event loop lets it out.
  yield* Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))
})
