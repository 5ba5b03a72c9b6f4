import { checkCommand } from "./Check.js"
import { diffCommand } from "./Diff.js"
import { program } from "./Program.js"
import { pruneCommand } from "./Prune.js"
import { queryCommand } from "./Query.js"
import { reportCommand } from "./Report.js"
import { statusCommand } from "./Status.js"
import { tablesCommand } from "./Tables.js"

/**
 * The commands that only open the mirror (`ReaderCommands.names`): the bin runs them from a bundle without
 * the API client, the MCP server and the mock, which they never use, so they start sooner.
 */
export const commands = [queryCommand, diffCommand, pruneCommand, statusCommand, tablesCommand, checkCommand, reportCommand] as const

export const main = program(commands)
