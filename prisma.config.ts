// Prisma 7 reads this instead of a `url` in schema.prisma. The project applies migrations
// itself (worker/db/migrate.ts) with Prisma's Wasm schema engine, so the CLI is only used to
// generate the client; `prisma migrate deploy` against DATABASE_URL still works for operators.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/coffee_chat' },
});
