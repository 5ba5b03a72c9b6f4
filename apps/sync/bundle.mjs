// `pnpm build`'s last step: the CLI and the library entry as one ES module each. The CLI starts in a
// fraction of the time Node takes to resolve and load the hundreds of modules of its dependencies one
// by one; both carry the workspace code they need (`@picasync/client`, and `@picasync/mock` for the
// demo), which is not published, so the packed tarball installs from the registry alone.
import { build } from "esbuild"

const shared = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  // The workspace packages from their TypeScript sources, as tsx and vitest see them.
  conditions: ["@picasync/source"],
  logLevel: "warning"
}

await Promise.all([
  build({
    ...shared,
    entryPoints: ["src/bin.ts"],
    outfile: "dist/bin.js",
    // libSQL loads a native addon at run time, and its Hrana client WebSockets: they stay in node_modules.
    external: ["@libsql/*"],
    // Bundled CommonJS dependencies call `require`, which an ES module lacks.
    banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" }
  }),
  build({
    ...shared,
    entryPoints: ["src/index.ts"],
    // In `dist/`, one level down like `src/`: `new URL("../drizzle", import.meta.url)` is the package's migrations from both.
    outfile: "dist/index.js",
    // An Effect library shares `effect`, `@effect/*` and Drizzle with the application (peer
    // dependencies) and loads libSQL's native addon and Hrana client from node_modules (dependencies).
    external: ["effect", "@effect/*", "drizzle-orm", "@libsql/*"]
  })
])
