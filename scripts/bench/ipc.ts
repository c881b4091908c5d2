// Request/response over a child process's IPC channel, for the benchmark's child processes
// (sandbox-proc.ts, worker-proc.ts, floor-proc.ts): the parent calls `call(child, 'cmd', args)`,
// the child answers with `serve({ cmd: async (args) => result })`.
import { spawn, type ChildProcess } from 'node:child_process';

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}
interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
type Handlers = Record<string, (args: never) => unknown>;

/** In a child: answers the parent's calls; tells the parent it is ready with `ready` (any value). */
export function serve(handlers: Handlers, ready: unknown = {}): void {
  process.on('message', (m: Request) => {
    void (async () => {
      const h = handlers[m.cmd];
      try {
        if (!h) throw new Error(`unknown command ${m.cmd}`);
        const result = await h(m.args as never);
        process.send!({ id: m.id, ok: true, result } satisfies Reply);
      } catch (err) {
        process.send!({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ id: 0, ok: true, result: ready } satisfies Reply);
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** What the child said when ready, and how long it took from spawn (ms). */
  ready: unknown;
  readyMs: number;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to stop (SIGTERM), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a child (a TypeScript one under this process's loader) and waits until it serves. */
export async function startChild(
  script: string,
  env: Record<string, string | undefined>,
  opts: {
    args?: string[];
    readyTimeoutMs?: number;
    nodeArgs?: string[];
    /** Plain node, without this process's TypeScript loader (a compiled script from dist/). */
    plain?: boolean;
  } = {},
): Promise<Child> {
  const t0 = performance.now();
  const proc = spawn(
    process.execPath,
    [...(opts.plain ? [] : process.execArgv), ...(opts.nodeArgs ?? []), script, ...(opts.args ?? [])],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
    },
  );
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exit = new Promise<void>((r) =>
    proc.on('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${script} exited (${code ?? signal})`));
      pending.clear();
      r();
    }),
  );
  const ready = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} not ready in ${opts.readyTimeoutMs ?? 120_000} ms`)),
      opts.readyTimeoutMs ?? 120_000,
    );
    proc.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    proc.on('message', (m: Reply) => {
      if (m.id === 0) {
        clearTimeout(timer);
        if (m.ok) resolve(m.result);
        else reject(new Error(m.error));
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  });
  const readyMs = performance.now() - t0;
  return {
    proc,
    pid: proc.pid!,
    ready,
    readyMs,
    call<T>(cmd: string, args?: unknown, timeoutMs = 600_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${script} has exited`));
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: ${cmd} took over ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v as T)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        proc.send({ id, cmd, args } satisfies Request);
      });
    },
    async stop(graceMs = 30_000) {
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
