import { existsSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { type Browser, chromium } from "playwright-core"

/** Debian's `chromium` package; `npx playwright install` cannot download browsers here. */
export const chromiumPath = "/usr/bin/chromium"
export const hasChromium = () => existsSync(chromiumPath)

export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: chromiumPath, headless: true, timeout: 60_000 })

export interface OfflinePage {
  /** Every request other than the report file itself: all were aborted. */
  readonly requests: ReadonlyArray<string>
  readonly consoleErrors: ReadonlyArray<string>
  readonly dialogs: ReadonlyArray<string>
}

/**
 * Opens `file` from disk with every other request blocked and recorded, as a mail client or a
 * browser without network would; records console errors, page errors and dialogs.
 */
export const openOffline = async (browser: Browser, file: string) => {
  const url = pathToFileURL(file).href
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 })
  const requests: Array<string> = []
  const consoleErrors: Array<string> = []
  const dialogs: Array<string> = []
  await context.route("**/*", (route) => {
    const requested = route.request().url()
    if (requested === url) return route.continue()
    if (!requests.includes(requested)) requests.push(requested)
    return route.abort("blockedbyclient")
  })
  const page = await context.newPage()
  page.on("request", (request) => request.url() !== url && !requests.includes(request.url()) && requests.push(request.url()))
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()))
  page.on("pageerror", (error) => consoleErrors.push(error.message))
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  await page.goto(url, { waitUntil: "load", timeout: 30_000 })
  return { page, context, seen: { requests, consoleErrors, dialogs } satisfies OfflinePage }
}

/** `node --import tsx test/cli/reportBrowser.ts report.html shot.png`: a full-page screenshot, offline (docs/report.png). */
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [file, png] = process.argv.slice(2)
  if (file === undefined || png === undefined) throw new Error("usage: reportBrowser.ts REPORT.html SHOT.png")
  const browser = await launch()
  try {
    const { page, seen } = await openOffline(browser, file)
    await page.screenshot({ path: png, fullPage: true })
    console.log(`screenshot written to ${png}`, JSON.stringify(seen))
  } finally {
    await browser.close()
  }
}
