import { defineConfig } from 'drizzle-kit'

// `npm run db:generate` diffs src/db/schema/*.ts against the newest migrations/meta/*_snapshot.json and writes the
// next SQL file and snapshot. Every table is declared in the schema, so change a table there first and generate;
// then edit the generated SQL by hand if it needs what drizzle cannot say (INCLUDE, UNLOGGED: also list it in
// src/db/schema/sql-only.ts; data steps). A migration written without generate leaves the snapshot behind, and
// the next generate would repeat its changes. Functions, triggers and views are repeatable SQL (src/db/sql).
// test/foundation/schema-drift.test.ts fails when the schema, the snapshot and the migrated database disagree.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/*.ts',
  out: './migrations',
  casing: 'snake_case',
})
