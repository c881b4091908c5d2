// The embedded database's socket answers any password (pglite-socket has no authentication), so
// it must not be reachable by other local users: a unix socket in a 0700 directory, DATA_DIR 0700,
// no TCP port. Another process of this user still gets in.
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { lockPath, readLock } from '../../worker/db/embedded-lock.ts';
import { openDatabase } from '../../worker/db/client.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the embedded database is private to its user', () => {
  let owner: TestDb;
  beforeAll(async () => {
    owner = await openTestDb('embedded');
  });
  afterAll(async () => {
    await owner?.dispose();
  });

  it('DATA_DIR is 0700 and the socket is a unix socket in a 0700 directory, not a TCP port', async () => {
    expect(mode(owner.dataDir!)).toBe(0o700);
    const info = readLock(lockPath(owner.dataDir!))!;
    expect(mode(lockPath(owner.dataDir!)) & 0o077).toBe(0);
    expect(info.host.startsWith('/')).toBe(true);
    expect(mode(info.host)).toBe(0o700);
    const tcp = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: info.port ?? 0 });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(tcp).toBe(false);
  });

  it('a second opener of the same DATA_DIR reaches the owner through it', async () => {
    const user = await owner.prisma.user.create({ data: { name: 'Owner' } });
    const client = await openDatabase({ databaseUrl: '', dataDir: owner.dataDir!, migrate: false });
    try {
      expect(client.role).toBe('client');
      expect((await client.prisma.user.findUnique({ where: { id: user.id } }))?.name).toBe('Owner');
    } finally {
      await client.close();
    }
  });
});
