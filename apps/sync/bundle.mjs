// `pnpm build`'s last step: the CLI as one script and the library entry as one ES module. The CLI starts in a
// fraction of the time Node takes to resolve and load the hundreds of modules of its dependencies one
// by one; both carry the workspace code they need (`@picasync/client`, and `@picasync/mock` for the
// demo), which is not published, so the packed tarball installs from the registry alone.
import * as esbuild from "esbuild"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"

const shared = {
  // Paths are the package's, whichever directory runs the build (vitest runs from the workspace root).
  absWorkingDir: dirname(fileURLToPath(import.meta.url)),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  // The workspace packages from their TypeScript sources, as tsx and vitest see them.
  conditions: ["@picasync/source"],
  logLevel: "warning",
  write: false
}

/**
 * Builds, then puts each file in place by a rename, so a CLI started meanwhile (a test run beside this
 * one) reads the old bundle or the new one, never half of one.
 */
const build = async (options) => {
  const { outputFiles } = await esbuild.build(options)
  for (const file of outputFiles) {
    await mkdir(dirname(file.path), { recursive: true })
    const temporary = `${file.path}.${process.pid}.tmp`
    await writeFile(temporary, file.contents)
    await rename(temporary, file.path)
  }
}

/** A CLI bundle: `entry` (a `runMain` of some commands) as one CommonJS script, the form V8's code cache takes (`vm.Script`). */
const cliBundle = (entry, outfile) =>
  build({
    ...shared,
    entryPoints: [entry],
    outfile,
    format: "cjs",
    // `import()` of what stays in node_modules becomes `require`: a script run by `vm.Script` has no module loader.
    supported: { "dynamic-import": false },
    // libSQL loads a native addon at run time (libsql), and its Hrana client WebSockets: they stay in node_modules.
    external: ["@libsql/*", "libsql"],
    // Without comments the script is a third smaller and pure ASCII (a dependency's comments are not), which V8 keeps
    // one byte a character: about 50 ms of every start. Licences go to `*.LEGAL.txt` beside it; `*.map` has the lines.
    minifyWhitespace: true,
    legalComments: "linked",
    // `import.meta.url` of the bundled sources is the bundle's own URL, as it was in an ES module.
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: "const __bundleUrl = require(\"node:url\").pathToFileURL(__filename).href;" }
  })

/** The bin and the CLI bundles it loads, into `outdir` (one level below the package, like `dist/`). */
export const buildCli = (outdir) =>
  Promise.all([
    // What the bin runs: `--version` alone, or a CLI bundle through V8's code cache (src/launcher.ts).
    build({ ...shared, entryPoints: ["src/launcher.ts"], outfile: `${outdir}/bin.js`, sourcemap: false }),
    // Every command.
    cliBundle("src/bin.ts", `${outdir}/cli.cjs`),
    // The commands that only read the mirror, without the API client, the MCP server and the mock: they start sooner.
    cliBundle("src/readers.ts", `${outdir}/readers.cjs`)
  ])

const buildLibrary = () =>
  build({
    ...shared,
    entryPoints: ["src/index.ts"],
    // In `dist/`, one level down like `src/`: `new URL("../drizzle", import.meta.url)` is the package's migrations from both.
    outfile: "dist/index.js",
    // An Effect library shares `effect`, `@effect/*` and Drizzle with the application (peer
    // dependencies) and loads libSQL's native addon and Hrana client from node_modules (dependencies).
    external: ["effect", "@effect/*", "drizzle-orm", "@libsql/*", "libsql"]
  })

// Run as a script (`pnpm build`); the tests import `buildCli` to run the CLI as users get it.
if (process.argv[1] === fileURLToPath(import.meta.url)) await Promise.all([buildCli("dist"), buildLibrary()])
