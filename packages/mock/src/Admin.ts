import { Either, ParseResult } from "effect"
import { once } from "node:events"
import type * as http from "node:http"
import * as ApiError from "./ApiError.js"
import * as Faults from "./Faults.js"
import * as Http from "./Http.js"
import type * as Inventory from "./Inventory.js"
import type { State } from "./Server.js"

/** The reserved path prefix of the control routes; faults never apply under it. */
export const prefix = "/__admin"

const loopback = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"])

const badRequest = (message: string): Http.Reply => Http.json(400, ApiError.badRequest(message))

const inventoryError = (error: Inventory.ConnectionNotFound | Inventory.ConnectionExists | Inventory.InvalidConnection) => {
  switch (error._tag) {
    case "ConnectionNotFound":
      return Http.json(404, ApiError.notFound(`Connection ${error.id} not found`))
    case "ConnectionExists":
      return Http.json(409, { ...ApiError.badRequest(`Connection ${error.id} already exists`), status: 409 })
    case "InvalidConnection":
      return badRequest(error.message)
  }
}

const fromInventory = <E extends Parameters<typeof inventoryError>[0]>(
  result: Either.Either<Inventory.Connection, E>,
  status = 200
): Http.Reply =>
  Either.match(result, { onLeft: inventoryError, onRight: (row) => Http.json(status, row) })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Streams the whole inventory in chunks, since a million rows exceed one string. */
const sendInventory = async (
  state: State,
  res: http.ServerResponse,
  headers: Readonly<Record<string, string>>
): Promise<void> => {
  const rows = state.inventory.all()
  res.writeHead(200, { ...headers, "content-type": "application/json" })
  res.write(`{"total":${rows.length},"rows":[`)
  const chunkSize = 1000
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = JSON.stringify(rows.slice(start, start + chunkSize)).slice(1, -1)
    if (!res.write(start === 0 ? chunk : `,${chunk}`)) await once(res, "drain")
  }
  res.end("]}")
}

const connectionRoute = async (
  state: State,
  req: http.IncomingMessage,
  url: URL,
  rest: ReadonlyArray<string>
): Promise<Http.Reply | undefined> => {
  const [id, action] = rest.map(decodeURIComponent)
  if (id === undefined) {
    if (req.method !== "POST") return undefined
    const body = await Http.readJson(req)
    if (!isRecord(body)) return badRequest("Body must be a JSON object (a connection, or part of one)")
    return fromInventory(state.inventory.insert(body, { verbatim: url.searchParams.get("verbatim") === "true" }), 201)
  }
  if (action === "deactivate" && rest.length === 2 && req.method === "POST") {
    return fromInventory(state.inventory.update(id, { active: false }))
  }
  if (rest.length !== 1) return undefined
  switch (req.method) {
    case "PATCH": {
      const body = await Http.readJson(req)
      return isRecord(body) ? fromInventory(state.inventory.update(id, body)) : badRequest("Body must be a JSON object")
    }
    case "DELETE":
      return Either.match(state.inventory.remove(id), { onLeft: inventoryError, onRight: () => Http.json(200, {}) })
  }
  return undefined
}

const faultsRoute = async (state: State, req: http.IncomingMessage): Promise<Http.Reply | undefined> => {
  switch (req.method) {
    case "GET":
      return Http.json(200, state.faults.current)
    case "PUT": {
      const decoded = Faults.decode(await Http.readJson(req))
      if (Either.isLeft(decoded)) return badRequest(ParseResult.TreeFormatter.formatErrorSync(decoded.left))
      state.faults.set(decoded.right, performance.now())
      return Http.json(200, state.faults.current)
    }
    case "DELETE": {
      state.faults.set(Faults.allOff, performance.now())
      return Http.json(200, state.faults.current)
    }
  }
  return undefined
}

const requestsRoute = (state: State, req: http.IncomingMessage): Http.Reply | undefined => {
  switch (req.method) {
    case "GET":
      return Http.json(200, state.log.all())
    case "DELETE":
      state.log.clear()
      return Http.json(200, {})
  }
  return undefined
}

/** The control routes: no auth, loopback clients only, never faulted, never logged. */
export const handle = async (
  state: State,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL
): Promise<void> => {
  const headers = state.faults.rateLimitHeaders(performance.now())
  if (!loopback.has(req.socket.remoteAddress ?? "")) {
    return Http.send(res, Http.json(403, ApiError.forbidden("The admin routes only answer loopback clients")), headers)
  }
  const [resource, ...rest] = url.pathname.slice(prefix.length + 1).split("/").filter((part) => part !== "")
  if (resource === "inventory" && rest.length === 0 && req.method === "GET") return sendInventory(state, res, headers)
  const reply = resource === "connections"
    ? await connectionRoute(state, req, url, rest)
    : resource === "faults" && rest.length === 0
    ? await faultsRoute(state, req)
    : resource === "requests" && rest.length === 0
    ? requestsRoute(state, req)
    : undefined
  Http.send(
    res,
    reply ?? Http.json(404, ApiError.notFound(`No admin route for ${req.method} ${url.pathname}`)),
    headers
  )
}
