import { checkCommand } from "./Check.js"
import { demoCommand } from "./Demo.js"
import { diffCommand } from "./Diff.js"
import { mcpCommand } from "./Mcp.js"
import { notifyCommand } from "./Notify.js"
import { program } from "./Program.js"
import { pruneCommand } from "./Prune.js"
import { queryCommand } from "./Query.js"
import { reportCommand } from "./Report.js"
import { statusCommand } from "./Status.js"
import { syncCommand } from "./Sync.js"
import { tablesCommand } from "./Tables.js"

export { exitCode } from "./Program.js"

/** Every command, in the order `picasync --help` lists them. */
export const main = program([
  syncCommand,
  queryCommand,
  diffCommand,
  pruneCommand,
  statusCommand,
  tablesCommand,
  checkCommand,
  reportCommand,
  notifyCommand,
  mcpCommand,
  demoCommand
])
