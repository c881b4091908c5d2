// The Dockerfile and docker-compose.yml as an operator runs them. `docker compose config` is not
// available here, so the files are parsed and checked against what the CLI and config accept.
import { WORKER_NODE_ARGS } from '../../scripts/bench/worker-flags.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { addStateGauges, createMetrics } from '../../worker/metrics.ts';
import { configSchema } from '../../worker/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const appServices = ['migrate', 'worker', 'web'];

/** The flags `coffee-chat <command> --help` lists, or undefined when the command does not exist. */
function optionsOf(path: string[]): string[] | undefined {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), ...path, '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  if (r.status !== 0 || !r.stdout.includes(`Usage: coffee-chat ${path.join(' ')}`)) return undefined;
  return [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
}

describe('docker-compose.yml', () => {
  it('has Redis, PostgreSQL, a one-shot migrate, workers and the review page', () => {
    expect(Object.keys(services).sort()).toEqual(['migrate', 'postgres', 'redis', 'web', 'worker']);
  });

  it('keeps Redis safe for BullMQ: append-only file and noeviction', () => {
    const cmd = services.redis!.command!.join(' ');
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
  });

  it('runs the built image: no source mounted, nothing installed at start', () => {
    for (const name of appServices) {
      const s = services[name]!;
      expect([name, s.build, s.image]).toEqual([name, '.', 'coffee-chat:latest']);
      expect([name, s.volumes ?? []]).toEqual([name, []]);
      expect([name, (s.command ?? []).join(' ')]).not.toEqual([name, expect.stringMatching(/npm|tsx/)]);
    }
  });

  it('every app command and flag is one the CLI knows', () => {
    for (const name of appServices) {
      const args = services[name]!.command!;
      const path = args[0] === 'db' ? args.slice(0, 2) : args.slice(0, 1);
      const options = optionsOf(path);
      expect([name, options]).toEqual([name, expect.any(Array)]);
      for (const flag of args.filter((a) => a.startsWith('--')))
        expect([name, flag, options]).toContainEqual(flag);
    }
  });

  it('sets only variables the config knows (HEALTH_PORT is the image health check)', () => {
    const known = new Set([...Object.keys(configSchema.shape), 'HEALTH_PORT']);
    for (const name of appServices)
      for (const key of Object.keys(services[name]!.environment ?? {}))
        expect([name, key, known.has(key)]).toEqual([name, key, true]);
  });

  it('migrates once before anything else runs against the database', () => {
    expect(services.migrate!.command).toEqual(['db', 'migrate']);
    for (const name of ['worker', 'web'])
      expect(services[name]!.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
  });

  it('workers scale (no fixed host port) and report health on their metrics port', () => {
    const w = services.worker!;
    expect(w.ports).toBeUndefined();
    const port = w.command![w.command!.indexOf('--metrics-port') + 1];
    expect(w.environment!.HEALTH_PORT).toBe(port);
    expect(w.environment!.METRICS_HOST).toBe('0.0.0.0');
  });

  it('publishes the review page on loopback only and the webhooks on their own port', () => {
    const w = services.web!;
    const arg = (flag: string) => w.command![w.command!.indexOf(flag) + 1];
    expect(w.ports).toEqual([
      `127.0.0.1:${arg('--port')}:${arg('--port')}`,
      `${arg('--webhook-port')}:${arg('--webhook-port')}`,
    ]);
    expect(w.environment!.HEALTH_PORT).toBe(arg('--port'));
  });
});

describe('Dockerfile', () => {
  const docker = read('Dockerfile');

  it("caps V8's old space for the worker as the bench measures it (RSS 500 → 240 MB at 10,000 accounts)", () => {
    expect(docker).toMatch(new RegExp(`NODE_OPTIONS=${WORKER_NODE_ARGS}\\b`));
  });
  const lines = docker.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages = docker.split(/^FROM /m).slice(1);
  const last = stages.at(-1)!;

  it('is multi-stage and builds on a Node LTS line (even major, 22 or later)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const from of lines.filter((l) => l.startsWith('FROM '))) {
      const major = Number(/node:(\d+)/.exec(from)?.[1]);
      expect([from, major % 2, major >= 22]).toEqual([from, 0, true]);
    }
  });

  it('runs compiled JavaScript as a non-root user, with a health check', () => {
    expect(last).toMatch(/^USER node$/m);
    expect(last).toMatch(/^HEALTHCHECK /m);
    expect(last).toMatch(/^ENTRYPOINT \["node", "dist\/worker\/cli\/main\.js"\]$/m);
    expect(last).not.toMatch(/tsx|npm ci(?!.*--omit=dev)/);
    expect(docker).toMatch(/npm ci --omit=dev/);
  });

  it('copies only what exists, and the context leaves out secrets and local state', () => {
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from=')))
      for (const src of l.split(/\s+/).slice(1, -1))
        expect([src, existsSync(join(ROOT, src))]).toEqual([src, true]);
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', '.env', '.data', 'dist']) expect(ignored).toContain(p);
  });
});

describe('deploy/: the Grafana dashboard and the alert rules', () => {
  const metrics = createMetrics();
  addStateGauges(metrics, { prisma: {} as never, queues: {} as never, now: () => new Date() });
  const families = metrics.registry.getMetricsAsArray().map((m) => ({ name: m.name, type: m.type }));
  const exported = new Set(
    families.flatMap(({ name, type }) =>
      String(type) === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
    ),
  );
  const used = (text: string) => [...new Set(text.match(/coffee_chat_[a-z_]+/g) ?? [])];

  it('the alert rules cover reconnects, sync lag and failed drafts, on metrics the app exports', () => {
    const rules = parse(read('deploy/alerts.yml')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual([
      'CoffeeChatAccountNeedsReconnect',
      'CoffeeChatSyncLagging',
      'CoffeeChatDraftsFailed',
    ]);
    for (const r of all)
      for (const name of used(r.expr))
        expect([r.alert, name, exported.has(name)]).toEqual([r.alert, name, true]);
  });

  it('every dashboard panel queries metrics the app exports', () => {
    const dash = JSON.parse(read('deploy/grafana-dashboard.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dash.panels.length).toBeGreaterThanOrEqual(10);
    for (const p of dash.panels)
      for (const t of p.targets) {
        expect([p.title, used(t.expr).length > 0]).toEqual([p.title, true]);
        for (const name of used(t.expr))
          expect([p.title, name, exported.has(name)]).toEqual([p.title, name, true]);
      }
  });
});
