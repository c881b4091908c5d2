// `coffee-chat db migrate` as an operator runs it: a real process, real databases.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrations } from '../../worker/db/migrate.ts';
import { postgresAvailable } from '../helpers/db.ts';
import { getTestPostgres, stopTestPostgres } from '../helpers/postgres.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const names = readMigrations().map((m) => m.name);
const n = names.length;
const count = `${n} migration${n === 1 ? '' : 's'}`;
const hasPostgres = await postgresAvailable();

function cli(env: Record<string, string | undefined>, ...args: string[]) {
  const merged: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...env };
  delete merged.NODE_OPTIONS;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return spawnSync(process.execPath, [join(repo, 'bin/coffee-chat.js'), ...args], {
    cwd: repo,
    env: merged,
    encoding: 'utf8',
  });
}

afterAll(async () => {
  await stopTestPostgres();
});

describe('coffee-chat db migrate', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-cli-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('applies the migrations to a fresh embedded store, then reports it up to date', () => {
    const first = cli({ DATABASE_URL: undefined, DATA_DIR: dataDir }, 'db', 'migrate');
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      `applied ${count} (${names.join(', ')}) to embedded database at ${join(dataDir, 'pglite')}\n`,
    );
    expect(first.status).toBe(0);

    const second = cli({ DATABASE_URL: undefined, DATA_DIR: dataDir }, 'db', 'migrate');
    expect(second.stdout).toBe(
      `database is up to date (${count}): embedded database at ${join(dataDir, 'pglite')}\n`,
    );
    expect(second.status).toBe(0);
  });

  it('--json prints the result as data', () => {
    const r = cli({ DATABASE_URL: undefined, DATA_DIR: dataDir }, 'db', 'migrate', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      kind: 'embedded',
      location: join(dataDir, 'pglite'),
      applied: names,
      total: n,
    });
  });

  (hasPostgres ? it : it.skip)('applies the migrations to a real PostgreSQL from DATABASE_URL', async () => {
    const url = (await getTestPostgres())!;
    const first = cli({ DATABASE_URL: url }, 'db', 'migrate');
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(
      new RegExp(`^applied ${count} \\(${names.join(', ')}\\) to database at postgres(ql)?://`),
    );
    expect(first.status).toBe(0);
    const second = cli({ DATABASE_URL: url }, 'db', 'migrate');
    expect(second.stdout).toMatch(new RegExp(`^database is up to date \\(${count}\\)`));
    expect(second.status).toBe(0);
  });

  (hasPostgres ? it : it.skip)(
    'on a shared PostgreSQL only `db migrate` migrates: other commands refuse in one line while it is behind',
    async () => {
      const url = (await getTestPostgres())!;
      const before = cli({ DATABASE_URL: url }, 'status', '--json');
      expect(before.status).not.toBe(0);
      expect(before.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(`is ${count} behind \\(next: ${names[0]}\\); run \`coffee-chat db migrate\``),
        ),
      ]);
      expect(cli({ DATABASE_URL: url }, 'db', 'migrate').status).toBe(0);
      const after = cli({ DATABASE_URL: url }, 'status', '--json');
      expect(after.stderr).toBe('');
      expect(after.status).toBe(0);
    },
  );

  it('an unreachable DATABASE_URL gives one clear line (no password) and a non-zero exit', () => {
    const r = cli({ DATABASE_URL: 'postgresql://coffee:hunter2@127.0.0.1:1/coffee' }, 'db', 'migrate');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /cannot connect to the database at postgresql:\/\/coffee:\*\*\*@127\.0\.0\.1:1\/coffee: .*ECONNREFUSED/,
    );
    expect(r.stderr).not.toContain('hunter2');
  });

  it('a DATABASE_URL that is not postgres:// is refused by config in one line', () => {
    const r = cli({ DATABASE_URL: 'mysql://root@localhost/coffee' }, 'db', 'migrate');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/DATABASE_URL must be a postgres:\/\//),
    ]);
  });
});
