import { Either, ParseResult } from "effect"
import { once } from "node:events"
import type * as http from "node:http"
import * as ApiError from "./ApiError.js"
import * as Compat from "./Compat.js"
import * as Faults from "./Faults.js"
import * as Http from "./Http.js"
import type * as Connection from "./Connection.js"
import * as Limiter from "./Limiter.js"
import * as PageCap from "./PageCap.js"
import type { State } from "./State.js"

/** The reserved path prefix of the control routes; faults never apply under it. */
export const prefix = "/__admin"

const loopback = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"])

const badRequest = (message: string): Http.Reply => Http.json(400, ApiError.badRequest(message))

const inventoryError = (error: Connection.ConnectionNotFound | Connection.ConnectionExists | Connection.InvalidConnection) => {
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
  result: Either.Either<Connection.Connection, E>,
  status = 200
): Http.Reply =>
  Either.match(result, { onLeft: inventoryError, onRight: (row) => Http.json(status, row) })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Streams the listed inventory in chunks, since a million rows exceed one string; the hidden rows follow. */
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
  res.end(`],"hidden":${JSON.stringify(state.inventory.hidden())}}`)
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
  if (rest.length === 2 && req.method === "POST") {
    if (action === "deactivate") return fromInventory(state.inventory.update(id, { active: false }))
    if (action === "hide") return fromInventory(state.inventory.hide(id))
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

/** A setting read with GET and changed with PUT (400 with the reason if invalid); both answer what is in force. */
const settingRoute = async <A>(
  req: http.IncomingMessage,
  setting: {
    readonly decode: (body: unknown) => Either.Either<A, ParseResult.ParseError>
    readonly current: () => unknown
    readonly set: (value: A) => void
  }
): Promise<Http.Reply | undefined> => {
  switch (req.method) {
    case "GET":
      return Http.json(200, setting.current())
    case "PUT": {
      const decoded = setting.decode(await Http.readJson(req))
      if (Either.isLeft(decoded)) return badRequest(ParseResult.TreeFormatter.formatErrorSync(decoded.left))
      setting.set(decoded.right)
      return Http.json(200, setting.current())
    }
  }
  return undefined
}

const faultsRoute = (state: State, req: http.IncomingMessage): Promise<Http.Reply | undefined> => {
  const current = () => state.faults.current
  if (req.method === "DELETE") {
    state.faults.set(Faults.allOff, performance.now())
    return Promise.resolve(Http.json(200, current()))
  }
  return settingRoute(req, { decode: Faults.decode, current, set: (patch) => state.faults.set(patch, performance.now()) })
}

const limiterRoute = (state: State, req: http.IncomingMessage): Promise<Http.Reply | undefined> =>
  settingRoute(req, {
    decode: Limiter.decode,
    current: () => state.limiter.current,
    set: (limiter) => state.limiter.set(limiter)
  })

const compatRoute = (state: State, req: http.IncomingMessage): Promise<Http.Reply | undefined> =>
  settingRoute(req, {
    decode: Compat.decode,
    current: () => state.compat,
    set: (patch) => {
      state.compat = Compat.merge(state.compat, patch)
    }
  })

const pageCapRoute = (state: State, req: http.IncomingMessage): Promise<Http.Reply | undefined> =>
  settingRoute(req, {
    decode: PageCap.decode,
    current: () => state.pageCap,
    set: (patch) => {
      state.pageCap = PageCap.merge(state.pageCap, patch)
    }
  })

const settingRoutes = { faults: faultsRoute, limiter: limiterRoute, compat: compatRoute, "page-cap": pageCapRoute } as const

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
  url: URL,
  headers: Readonly<Record<string, string>>
): Promise<void> => {
  if (!loopback.has(req.socket.remoteAddress ?? "")) {
    return Http.send(res, Http.json(403, ApiError.forbidden("The admin routes only answer loopback clients")), headers)
  }
  const [resource, ...rest] = url.pathname.slice(prefix.length + 1).split("/").filter((part) => part !== "")
  if (resource === "inventory" && rest.length === 0 && req.method === "GET") return sendInventory(state, res, headers)
  const reply = resource === "connections"
    ? await connectionRoute(state, req, url, rest)
    : resource !== undefined && Object.hasOwn(settingRoutes, resource) && rest.length === 0
    ? await settingRoutes[resource as keyof typeof settingRoutes](state, req)
    : resource === "requests" && rest.length === 0
    ? requestsRoute(state, req)
    : undefined
  Http.send(
    res,
    reply ?? Http.json(404, ApiError.notFound(`No admin route for ${req.method} ${url.pathname}`)),
    headers
  )
}
