// The floor: what a hand-written full sync costs with no Effect, no Drizzle, no staging and no history.
// `node floor.mjs <db file>` with PICA_BASE_URL, PICA_SECRET_KEY; CONCURRENCY (default 4), PAGE_SIZE (default 100).
import { createClient } from "@libsql/client"

const baseUrl = process.env.PICA_BASE_URL
const headers = { "x-pica-secret": process.env.PICA_SECRET_KEY, accept: "application/json" }
const concurrency = Number(process.env.CONCURRENCY ?? 4)
const limit = Number(process.env.PAGE_SIZE ?? 100)

const db = createClient({ url: `file:${process.argv[2]}` })
await db.executeMultiple(`
  CREATE TABLE connections (id TEXT PRIMARY KEY, key TEXT, platform TEXT, platform_version TEXT, name TEXT, type TEXT,
    environment TEXT, identity TEXT, identity_type TEXT, description TEXT, state TEXT, version TEXT, active INTEGER,
    created_at TEXT, tags TEXT, raw TEXT);
  CREATE TABLE connection_tags (connection_id TEXT, tag TEXT, PRIMARY KEY (connection_id, tag));`)

// Each page's body goes to SQLite as it came: json_each splits it into rows, and rows into tags.
const insertRows = `INSERT OR REPLACE INTO connections SELECT r.value ->> 'id', r.value ->> 'key', r.value ->> 'platform',
  r.value ->> 'platformVersion', r.value ->> 'name', r.value ->> 'type', r.value ->> 'environment', r.value ->> 'identity',
  r.value ->> 'identityType', r.value ->> 'description', r.value ->> 'state', r.value ->> 'version', r.value ->> 'active',
  r.value ->> 'createdAt', coalesce(r.value -> 'tags', '[]'), r.value FROM json_each(?, '$.rows') r`
const insertTags = `INSERT OR IGNORE INTO connection_tags SELECT r.value ->> 'id', t.value
  FROM json_each(?, '$.rows') r, json_each(r.value, '$.tags') t`

const tx = await db.transaction("write")
let rows = 0
const fetchPage = async (active, page) => {
  const response = await fetch(`${baseUrl}/v1/vault/connections?active=${active}&limit=${limit}&page=${page}`, { headers })
  if (!response.ok) throw new Error(`page ${page}: HTTP ${response.status}`)
  const body = await response.text()
  await tx.batch([{ sql: insertRows, args: [body] }, { sql: insertTags, args: [body] }])
  return JSON.parse(body)
}
for (const active of [true, false]) {
  const first = await fetchPage(active, 1)
  rows += first.rows.length
  let next = 2
  const worker = async () => {
    while (next <= first.pages) {
      const page = await fetchPage(active, next++)
      rows += page.rows.length
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}
await tx.commit()
db.close()
console.log(JSON.stringify({ rows }))
