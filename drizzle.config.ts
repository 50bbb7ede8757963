import { defineConfig } from 'drizzle-kit'

// `npm run db:generate` diffs src/db/schema/*.ts against migrations/meta and writes the next SQL file.
// Hand-written SQL (triggers, CHECKs drizzle cannot express) goes in `npx drizzle-kit generate --custom --name x`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/*.ts',
  out: './migrations',
  casing: 'snake_case',
})
