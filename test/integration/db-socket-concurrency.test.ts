// Many connections through the embedded store's socket at once, as the worker's pool and the CLI
// make them: every query must get its own parameters and its own rows back.
import { openDatabase, type Db } from '../../worker/db/client.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

describe('the embedded database under concurrent connections', () => {
  let db: TestDb;
  let other: Db;
  beforeAll(async () => {
    db = await openTestDb('embedded', { poolSize: 8 });
    // A second client of the same store, as another process (the CLI beside the worker) is.
    other = await openDatabase({ databaseUrl: '', dataDir: db.dataDir, poolSize: 8 });
  });
  afterAll(async () => {
    await other?.close();
    await db?.dispose();
  });

  it('keeps each connection’s parameters with its own statement', async () => {
    const user = await db.prisma.user.create({ data: { name: 'Concurrency', timeZone: 'UTC' } });
    const writes = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? db.prisma.contact.create({
            data: { userId: user.id, email: `c${i}@example.org`, name: `Contact ${i}` },
          })
        : db.prisma.checkInPlan.findMany({ where: { anchorAt: { gte: new Date(Date.now() - i * 1000) } } }),
    );
    const reads = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? other.prisma.contact.findMany({ where: { email: `c${i}@example.org` } })
        : other.prisma.chat.findMany({
            where: { startUtc: { lte: new Date() }, title: { contains: `x${i}` } },
          }),
    );
    const results = await Promise.all([...writes, ...reads]);
    expect(results).toHaveLength(120);
    const contacts = await db.prisma.contact.findMany({ where: { userId: user.id } });
    expect(contacts).toHaveLength(30);
    for (const c of contacts) expect(c.name).toBe(`Contact ${c.email.slice(1).split('@')[0]}`);
  });
});
