// A Redis Cluster over TLS (rediss://), as managed services run it: the certificate names the
// host, and the nodes announce host names. The worker's connection must check the certificate
// against the name, not against the address the name resolves to.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisCluster, redisClusterSkipReason, type RedisCluster } from '../helpers/redis-cluster.ts';

const connectionModule = fileURLToPath(new URL('../../worker/queues/connection.ts', import.meta.url));

function tlsSkipReason(): string | null {
  const clusterSkip = redisClusterSkipReason();
  if (clusterSkip) return clusterSkip;
  if (spawnSync('openssl', ['version']).error) return 'openssl not installed';
  return null;
}
const skip = tlsSkipReason();

/** Runs lockClient in a child that trusts our certificate the way a user would (NODE_EXTRA_CA_CERTS). */
function roundTripInChild(nodes: string, caFile: string): Promise<{ code: number | null; out: string }> {
  const script = `
    import { lockClient } from ${JSON.stringify(connectionModule)};
    const c = lockClient({ REDIS_URL: 'redis://unused:1', REDIS_CLUSTER_NODES: ${JSON.stringify(nodes.split(','))}, QUEUE_PREFIX: 'tls' });
    try {
      await c.connect();
      // Keys in different slots: the client must reach every node it was told about.
      for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) await c.set('k:' + k, k);
      const got = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => c.get('k:' + k)));
      console.log('ROUNDTRIP ' + got.join(''));
    } catch (e) {
      console.log('FAILED ' + (e && e.message));
    } finally {
      c.disconnect();
    }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

(skip ? describe.skip : describe)('a Redis Cluster over TLS', () => {
  let dir: string;
  let cluster: RedisCluster;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffee-chat-tls-'));
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    cluster = await startRedisCluster({
      tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with rediss:// node names and reaches every node, the certificate checked against the name', async () => {
    const nodes = cluster.nodes.map((n) => `rediss://localhost:${n.split(':')[1]}`).join(',');
    const r = await roundTripInChild(nodes, join(dir, 'cert.pem'));
    expect(r.out).toContain('ROUNDTRIP abcdef');
  }, 60_000);
});
