export {
  ApplyWaitTimeoutError,
  DatabaseAuthError,
  DatabaseDiskFull,
  DatabaseError,
  DatabaseFailure,
  DatabaseMissing,
  DatabaseUnreachable,
  MirrorDatabase,
  type MirrorDatabaseOptions,
  type Orm,
  type Statement
} from "./db/MirrorDatabase.js"
export * as MirrorMigrations from "./db/MirrorMigrations.js"
export * as schema from "./db/schema.js"
export {
  type Options as PicaSyncOptions,
  PicaSync,
  type RunOptions as PicaSyncRunOptions,
  type Service as PicaSyncService,
  SyncError
} from "./PicaSync.js"
export * as Notify from "./Notify.js"
export * as Progress from "./Progress.js"
export * as Query from "./query/Query.js"
export * as QueryFormat from "./query/Format.js"
export * as Status from "./Status.js"
export { SyncLockHeldError, SyncLockLostError } from "./SyncLock.js"
export { SyncRun } from "./SyncRun.js"
export * as Tables from "./Tables.js"
