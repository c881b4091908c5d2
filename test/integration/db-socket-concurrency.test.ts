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
    // Rows every read below knows the answer for, whatever runs beside it.
    for (let i = 0; i < 60; i += 2)
      await db.prisma.contact.create({
        data: { userId: user.id, email: `r${i}@example.org`, name: `Known ${i}` },
      });
    const writes = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? db.prisma.contact
            .create({ data: { userId: user.id, email: `c${i}@example.org`, name: `Contact ${i}` } })
            .then((c) => expect([c.email, c.name]).toEqual([`c${i}@example.org`, `Contact ${i}`]))
        : db.prisma.checkInPlan
            .findMany({ where: { anchorAt: { gte: new Date(Date.now() - i * 1000) } } })
            .then((rows) => expect(rows).toEqual([])),
    );
    const reads = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? other.prisma.contact
            .findMany({ where: { email: `r${i}@example.org` } })
            .then((rows) =>
              expect(rows.map((c) => [c.email, c.name])).toEqual([[`r${i}@example.org`, `Known ${i}`]]),
            )
        : other.prisma.contact
            .findMany({ where: { userId: user.id, name: { startsWith: `Known ${i - 1}` } } })
            .then((rows) => {
              // "Known 1" also starts "Known 10".."Known 18": each row must match this read's own prefix.
              expect(rows.length).toBeGreaterThan(0);
              for (const c of rows) expect((c.name ?? '').startsWith(`Known ${i - 1}`)).toBe(true);
              expect(rows.map((c) => c.name)).toContain(`Known ${i - 1}`);
            }),
    );
    await Promise.all([...writes, ...reads]);
    const contacts = await db.prisma.contact.findMany({
      where: { userId: user.id, email: { startsWith: 'c' } },
    });
    expect(contacts).toHaveLength(30);
    for (const c of contacts) expect(c.name).toBe(`Contact ${c.email.slice(1).split('@')[0]}`);
  });
});
