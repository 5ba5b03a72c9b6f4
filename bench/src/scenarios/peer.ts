import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { medianOf, number, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, hasCommand, measure, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { sizes, tools } from "../Settings.js"
import { apiEnv, sync } from "../Sync.js"

const peerTools = ["curl", "jq", "sqlite-utils"]

/** Installs the peer's tools from Debian's packages when this is a Debian machine run as root; says why not otherwise. */
const installPeerTools = () => {
  if (peerTools.every(hasCommand) || process.getuid?.() !== 0 || !hasCommand("apt-get")) return
  process.stderr.write(`installing ${peerTools.join(", ")} for the peer pipeline (apt-get)\n`)
  try {
    execFileSync("sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${peerTools.join(" ")}`], {
      stdio: ["ignore", "ignore", "inherit"]
    })
  } catch (error) {
    process.stderr.write(`apt-get could not install them: ${error instanceof Error ? error.message : String(error)}\n`)
  }
}

/** Scenario 7: the curl + jq + sqlite-utils pipeline people write without picasync, beside a sync. */
export const peer = async (report: Report) => {
  installPeerTools()
  const missing = peerTools.filter((command) => !hasCommand(command))
  const goal = `At least 8x faster than the curl + jq + sqlite-utils peer at ${number.format(sizes.peer)}`
  if (missing.length > 0) {
    const note = `7. peer pipeline skipped: ${missing.join(", ")} not installed (Debian: \`apt-get install curl jq sqlite-utils\`)`
    process.stderr.write(`${note}\n`)
    report.row(note, "", "", "")
    report.goal(`${goal}: not measured, ${verdict(false)}`)
    return
  }
  const mock = await Mock.start(sizes.peer)
  const runs = await repeat(`peer pipeline and sync, ${number.format(sizes.peer)}`, async () => {
    const peerDb = freshDatabase()
    const pipeline = await measure("bash", [path.join(tools, "peer.sh"), peerDb.file], apiEnv(mock))
    removeDatabase(peerDb.file)
    const db = freshDatabase()
    const ours = await sync(mock, db.url)
    removeDatabase(db.file)
    return { pipeline, ours }
  })
  await Mock.stop(mock)
  const pipelineMs = medianOf(runs, (r) => r.pipeline.ms)
  const oursMs = medianOf(runs, (r) => r.ours.ms)
  report.row(
    `7. peer: curl + jq + sqlite-utils upsert, ${number.format(sizes.peer)} connections`,
    `picasync sync: ${seconds(oursMs)}`,
    `the pipeline: ${seconds(pipelineMs)} (rows and a JSON tags column only: no tag rows, history or deletions)`,
    `${ratio(pipelineMs / oursMs)} faster`
  )
  report.goal(`${goal}: ${ratio(pipelineMs / oursMs)}, ${verdict(pipelineMs / oursMs >= 8)}`)
}
