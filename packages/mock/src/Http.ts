import type * as http from "node:http"

/** A response before it is written. */
export interface Reply {
  readonly status: number
  readonly body: string
  readonly contentType?: string
  readonly headers?: Readonly<Record<string, string>>
  /** The fault that shaped it, for the request log. */
  readonly fault?: string | undefined
}

export const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) })

/** A bare status: no body, so no `content-type` either. */
export const empty = (status: number, headers: Readonly<Record<string, string>> = {}): Reply => ({ status, body: "", headers })

/**
 * Writes `reply`. With `cut`, sends the headers (with the full content-length)
 * and half the body, then destroys the socket once that half is flushed.
 */
export const send = (
  res: http.ServerResponse,
  reply: Reply,
  baseHeaders: Readonly<Record<string, string>>,
  cut = false
): void => {
  const body = Buffer.from(reply.body)
  res.writeHead(reply.status, {
    ...baseHeaders,
    ...(body.length === 0 ? {} : { "content-type": reply.contentType ?? "application/json" }),
    "content-length": String(body.length),
    ...reply.headers
  })
  if (cut) res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy())
  else res.end(body)
}

const maxBodyBytes = 1_000_000

/** The body parsed as JSON, or `undefined` when it is empty, over 1 MB or not JSON. */
export const readJson = async (req: http.IncomingMessage): Promise<unknown> => {
  const chunks: Array<Buffer> = []
  let size = 0
  // Read to the end even when too large, so the connection stays usable.
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size <= maxBodyBytes) chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString("utf8")
  if (size > maxBodyBytes || text.trim() === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
