/** The commands `cli/Readers.ts` holds: the bin (`launcher.ts`) loads that smaller bundle for them. */
export const names: ReadonlyArray<string> = ["query", "diff", "prune", "status", "tables", "check", "report"]
