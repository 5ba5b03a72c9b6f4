import { fetchWithin } from "./Open.js"

/**
 * Whether `sql` would write, as the libSQL server at `endpoint` compiles it (Hrana `describe`), on a
 * connection of its own: a server runs `BEGIN READONLY` without enforcing it.
 */
export const writes = async (
  endpoint: { readonly url: string; readonly websocket: boolean; readonly authToken?: string | undefined },
  sql: string,
  timeoutMillis: number
): Promise<boolean> => {
  const hrana = await import("@libsql/hrana-client")
  const connection = endpoint.websocket
    ? hrana.openWs(endpoint.url, endpoint.authToken)
    : hrana.openHttp(endpoint.url, endpoint.authToken, fetchWithin(timeoutMillis))
  try {
    // A WebSocket server says which Hrana version it speaks, and `describe` needs version 2.
    await connection.getVersion()
    const stream = connection.openStream()
    try {
      return !(await stream.describe(sql)).isReadonly
    } finally {
      stream.close()
    }
  } finally {
    connection.close()
  }
}
