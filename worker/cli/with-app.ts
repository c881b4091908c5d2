// Opens the app (database, queues) for one CLI command and closes it afterwards.
import { createApp, type App } from '../app.ts';

export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp();
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
