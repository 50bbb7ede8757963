// Loads the demo organisation into a PostgreSQL database the server has migrated (the server loads it only
// into its embedded database): `node --import tsx console/e2e/story-demo.mjs <DATABASE_URL> [TIMEZONE]`.
// Used by story.e2e.ts, which runs the seed's story on real PostgreSQL so that it can let the 公示 period pass.

import { openDatabase } from '../../src/db/client.ts'
import { loadDemoIfEmpty } from '../../src/demo/accounts.ts'
import { loadDemoContent } from '../../src/demo/content.ts'

const [url, timezone = 'Asia/Shanghai'] = process.argv.slice(2)
if (!url) {
  console.error('usage: story-demo.mjs <DATABASE_URL> [TIMEZONE]')
  process.exit(64)
}
const database = await openDatabase({ databaseUrl: url, timezone })
try {
  const logins = await loadDemoIfEmpty(database.db)
  if (!logins) throw new Error('the database already holds an organisation')
  await loadDemoContent(database.db, timezone, { holdDays: 7 })
} finally {
  await database.close()
}
