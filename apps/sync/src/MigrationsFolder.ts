import { fileURLToPath } from "node:url"

/**
 * The `drizzle/` folder this package ships, for `MirrorMigrations.layer`: one level above this module
 * in the sources (`src/`), in tsc's `dist/` and in the bundles (`dist/cli.cjs`, `dist/index.js`) alike.
 */
export const packagedMigrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url))
