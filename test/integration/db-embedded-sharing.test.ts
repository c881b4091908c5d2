// Two processes use the embedded store at once: this test process owns the PGlite directory and
// serves it; other processes (the real CLI, or a small script) reach it through the owner's
// loopback socket, read and write rows, and keep their transactions to themselves.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openDatabase } from '../../worker/db/client.ts';
import { lockPath, readLock } from '../../worker/db/embedded-lock.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const clientModule = pathToFileURL(join(repo, 'worker/db/client.ts')).href;

function childEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  return env;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript snippet in a separate Node process (with `openDatabase` in scope). */
function runScript(dir: string, body: string, onLine?: (line: string) => void): Promise<Run> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, `import { openDatabase } from ${JSON.stringify(clientModule)};\n${body}\n`);
  return run(['--import', tsxLoader, file], dir, onLine);
}

/** `node <args>` with DATA_DIR=dataDir, without blocking this process (it serves the socket). */
function run(args: string[], dataDir: string, onLine?: (line: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repo, env: childEnv(dataDir) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += text;
      if (onLine) for (const line of text.split('\n').filter(Boolean)) onLine(line);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('embedded store shared between processes', () => {
  let owner: TestDb;
  let userId: string;

  beforeAll(async () => {
    owner = await openTestDb('embedded');
    userId = (await owner.prisma.user.create({ data: { name: 'Owner' } })).id;
  });
  afterAll(async () => {
    await owner?.dispose();
  });

  it('the opener owns the directory and advertises its socket in the lock file', () => {
    expect(owner.role).toBe('owner');
    const info = readLock(lockPath(owner.dataDir!));
    expect(info).toMatchObject({ pid: process.pid });
    expect(info!.host.startsWith('/')).toBe(true); // the unix socket's directory
    expect(info!.port).toBeGreaterThan(0);
  });

  it('`coffee-chat db migrate` works beside the running owner and exits 0', async () => {
    // Asynchronous spawn: this process must keep serving the socket meanwhile.
    const r = await run([join(repo, 'bin/coffee-chat.js'), 'db', 'migrate'], owner.dataDir!);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^database is up to date \(\d+ migrations?\): embedded database at .*pglite \(through the running owner process\)\n$/,
    );
    expect(r.code).toBe(0);
  });

  it('another process reads and writes rows through the socket', async () => {
    const r = await runScript(
      owner.dataDir!,
      `const db = await openDatabase();
       const users = await db.prisma.user.findMany();
       const contact = await db.prisma.contact.create({ data: { userId: ${JSON.stringify(userId)}, email: 'mentor@example.com' } });
       console.log(JSON.stringify({ role: db.role, kind: db.kind, users: users.map((u) => u.name), contactId: contact.id }));
       await db.close();`,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as {
      role: string;
      kind: string;
      users: string[];
      contactId: string;
    };
    expect(out).toMatchObject({ role: 'client', kind: 'embedded', users: ['Owner'] });
    const contact = await owner.prisma.contact.findUniqueOrThrow({ where: { id: out.contactId } });
    expect(contact.email).toBe('mentor@example.com');
  });

  it("a client's rolled-back transaction neither leaks into nor swallows the owner's writes", async () => {
    let ownerWrite: Promise<unknown> | undefined;
    const r = await runScript(
      owner.dataDir!,
      `const db = await openDatabase();
       await db.prisma.$transaction(async (tx) => {
         await tx.user.create({ data: { name: 'rolled-back' } });
         console.log('in-transaction');
         await new Promise((r) => setTimeout(r, 800));
         throw new Error('roll back');
       }).catch((e) => console.log('rolled back: ' + e.message));
       await db.close();`,
      (line) => {
        if (line === 'in-transaction')
          ownerWrite = owner.prisma.user.create({ data: { name: 'owner-during-tx' } });
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rolled back: roll back');
    await ownerWrite;
    const names = (await owner.prisma.user.findMany()).map((u) => u.name).sort();
    expect(names).toContain('owner-during-tx');
    expect(names).not.toContain('rolled-back');
  });

  it('both processes writing at once lose nothing', async () => {
    const before = await owner.prisma.contact.count();
    const child = runScript(
      owner.dataDir!,
      `const db = await openDatabase();
       for (let i = 0; i < 40; i++) await db.prisma.contact.create({ data: { userId: ${JSON.stringify(userId)}, email: 'child' + i + '@example.com' } });
       await db.close();`,
    );
    for (let i = 0; i < 40; i++)
      await owner.prisma.contact.create({ data: { userId, email: `owner${i}@example.com` } });
    expect((await child).code).toBe(0);
    expect(await owner.prisma.contact.count()).toBe(before + 80);
  });

  it('a second open in the same process is a client of the owner', async () => {
    const second = await openDatabase({ databaseUrl: '', dataDir: owner.dataDir! });
    try {
      expect(second.role).toBe('client');
      expect(await second.prisma.user.count()).toBe(await owner.prisma.user.count());
    } finally {
      await second.close();
    }
  });
});

describe('embedded lock lifecycle', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-lock-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('takes over a stale lock left by a dead process, and removes its own lock on close', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    writeFileSync(
      lockPath(dataDir),
      JSON.stringify({ pid: deadPid, port: 1, host: '127.0.0.1', startedAt: 'earlier' }),
    );
    const db = await openDatabase({ databaseUrl: '', dataDir });
    expect(db.role).toBe('owner');
    expect(JSON.parse(readFileSync(lockPath(dataDir), 'utf8'))).toMatchObject({ pid: process.pid });
    await db.close();
    expect(existsSync(lockPath(dataDir))).toBe(false);

    // Closed means closed: the next opener owns the files again and finds the data.
    const reopened = await openDatabase({ databaseUrl: '', dataDir });
    try {
      expect(reopened.role).toBe('owner');
      expect(reopened.migrations?.applied).toEqual([]);
    } finally {
      await reopened.close();
    }
  });
});
