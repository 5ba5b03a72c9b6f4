import { medianOf, mib, number, rate, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { sizes } from "../Settings.js"
import { sync } from "../Sync.js"
import type { FullSync } from "./full.js"

/** Scenario 4: ten times the inventory of scenario 1, its time and peak RSS beside that run's. */
export const scale = async (report: Report, full: FullSync) => {
  const mock = await Mock.start(sizes.scale)
  const runs = await repeat(`scale ${number.format(sizes.scale)}`, async () => {
    const db = freshDatabase()
    const measured = await sync(mock, db.url)
    removeDatabase(db.file)
    return measured
  })
  await Mock.stop(mock)
  const ms = medianOf(runs, (r) => r.ms)
  const rss = medianOf(runs, (r) => r.maxRssKiB)
  const time = ms / full.fullMs
  const memory = rss / full.fullRss
  report.row(
    `4. scale: ${number.format(sizes.scale)} connections, full sync`,
    `${seconds(ms)} · ${rate(sizes.scale, ms)} · peak RSS ${mib(rss)}`,
    `the ${number.format(sizes.full)} run (scenario 1): ${seconds(full.fullMs)} · peak RSS ${mib(full.fullRss)}`,
    `${ratio(time)} time · ${ratio(memory)} RSS`
  )
  report.goal(
    `${number.format(sizes.scale)} rows in at most 10x the ${number.format(sizes.full)} time, peak RSS at most 1.5x the ` +
      `${number.format(sizes.full)} run's: ${ratio(time)} the time, ${ratio(memory)} the RSS, ${verdict(time <= 10 && memory <= 1.5)}`
  )
}
