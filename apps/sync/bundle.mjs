// `pnpm build`'s last step: the CLI as one ES module, so `picasync` starts in a fraction of the time
// Node takes to resolve and load the hundreds of modules of its dependencies one by one.
import { build } from "esbuild"

await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/bin.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  // The workspace packages from their TypeScript sources, as tsx and vitest see them.
  conditions: ["@picasync/source"],
  // libSQL loads a native addon at run time: it stays in node_modules.
  external: ["@libsql/client"],
  // Bundled CommonJS dependencies call `require`, which an ES module lacks.
  banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" },
  logLevel: "warning"
})
