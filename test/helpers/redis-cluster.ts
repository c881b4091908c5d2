// A throwaway three-master Redis Cluster on loopback (redis-server --cluster-enabled yes on three
// free ports, joined by `redis-cli --cluster create`), for the tests that run the worker on one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../worker/services/local-redis.ts';

export interface RedisCluster {
  /** host:port of each master, for REDIS_CLUSTER_NODES. */
  nodes: string[];
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here, or null. */
export function redisClusterSkipReason(): string | null {
  if (spawnSync('redis-server', ['--version']).error) return 'redis-server not installed';
  if (spawnSync('redis-cli', ['--version']).error) return 'redis-cli not installed';
  return null;
}

/** A certificate for the name `localhost` (no IP address in it), and its key. */
export interface ClusterTls {
  certFile: string;
  keyFile: string;
}

/**
 * Over TLS (`tls`), every node speaks only TLS, also to the other nodes, and announces itself by the
 * host name `localhost` (cluster-preferred-endpoint-type hostname, Redis 7), as managed TLS clusters
 * do: a client must then check the certificate against that name.
 */
export async function startRedisCluster(opts: { tls?: ClusterTls } = {}): Promise<RedisCluster> {
  const tlsCli = opts.tls ? ['--tls', '--cacert', opts.tls.certFile] : [];
  const cli = (port: number, ...args: string[]) =>
    spawnSync('redis-cli', [...tlsCli, '-h', '127.0.0.1', '-p', String(port), ...args], {
      encoding: 'utf8',
    });
  const listen = (port: number) =>
    opts.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          opts.tls.certFile,
          '--tls-key-file',
          opts.tls.keyFile,
          '--tls-ca-cert-file',
          opts.tls.certFile,
          '--tls-auth-clients',
          'no',
          '--tls-cluster',
          'yes',
          '--cluster-announce-hostname',
          'localhost',
          '--cluster-preferred-endpoint-type',
          'hostname',
        ]
      : ['--port', String(port)];
  const dir = mkdtempSync(join(tmpdir(), 'coffee-chat-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children
        .filter((c) => c.exitCode === null)
        .map((c) => {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          return exited;
        }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--bind',
            '127.0.0.1',
            ...listen(port),
            '--dir',
            dir,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--save',
            '',
            '--appendonly',
            'no',
            '--maxmemory-policy',
            'noeviction',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) {
      const deadline = Date.now() + 10_000;
      while (cli(port, 'ping').stdout.trim() !== 'PONG') {
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    const made = spawnSync(
      'redis-cli',
      [...tlsCli, '--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
      },
    );
    if (made.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${made.stderr || made.stdout}`);
    const deadline = Date.now() + 20_000;
    while (!ports.every((p) => /cluster_state:ok/.test(cli(p, 'cluster', 'info').stdout))) {
      if (Date.now() > deadline) throw new Error('the cluster did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
