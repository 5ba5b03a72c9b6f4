/**
 * A failure's one-line message as a CLI user reads it: the domain error says what happened, this adds
 * the flag or variable to change.
 */
export const forCli = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error)
  switch ((error as { readonly _tag?: unknown } | null)?._tag) {
    case "DatabaseError":
      return `${message} (--db or PICASYNC_DB)`
    case "DatabaseMissing":
      return (error as { readonly replica?: boolean }).replica === true
        ? `${message} (run it once without --offline)`
        : `${message}: run picasync sync first, or point --db (PICASYNC_DB) at the mirror`
    case "MirrorMissing":
      return `${message}: run picasync sync first, or point --db (PICASYNC_DB) at the mirror`
    case "MirrorOutdated":
      return `${message} (picasync sync, with --db-auth-token / PICASYNC_DB_AUTH_TOKEN allowed to write)`
    case "DatabaseAuthError":
      return `${message} (--db-auth-token or PICASYNC_DB_AUTH_TOKEN)`
    case "DatabaseUnreachable":
      return `${message} (--db or PICASYNC_DB)`
    case "SyncLockHeldError":
      return `${message}, or pass --wait to queue behind it`
    case "ApplyWaitTimeoutError":
      return `${message} (--db-timeout or PICASYNC_DB_TIMEOUT)`
    case "PicaTransportError":
      return `${message}, and HTTPS_PROXY / HTTP_PROXY / NO_PROXY`
    case "QueryError":
      return (error as { readonly parameters?: boolean }).parameters === true ? `${message} (--param name=value)` : message
    default:
      return message
  }
}
