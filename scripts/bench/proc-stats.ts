// What a process costs, read from /proc (as pidusage does on Linux): resident memory and CPU time
// (user + system, its children included when asked). Linux only; elsewhere every figure is 0.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

const TICK = 100; // USER_HZ: clock ticks per second on Linux (sysconf(_SC_CLK_TCK), 100 everywhere in practice)

function stat(pid: number): { ppid: number; ticks: number; rssPages: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after "comm": state(0) ppid(1) ... utime(11) stime(12) ... rss(21)
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
  } catch {
    return null;
  }
}

/** The pid and every descendant (a Postgres postmaster and its backends). */
export function processTree(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = stat(Number(name));
    if (!st) continue;
    const list = byParent.get(st.ppid) ?? [];
    list.push(Number(name));
    byParent.set(st.ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of byParent.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** CPU seconds used so far by these processes (summed). */
export function cpuSeconds(pids: number[]): number {
  let t = 0;
  for (const p of pids) t += stat(p)?.ticks ?? 0;
  return t / TICK;
}

/** Resident set size in bytes, summed. */
export function rssBytes(pids: number[]): number {
  let pages = 0;
  for (const p of pids) pages += stat(p)?.rssPages ?? 0;
  return pages * 4096;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (line[3] ?? 0) + (line[4] ?? 0);
    const total = line.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / TICK, total: total / TICK };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export interface Meter {
  /** CPU seconds / wall seconds since start (1 = one core busy), peak and last RSS. */
  read(): { cpuCores: number; peakRssBytes: number; rssBytes: number; wallS: number };
  stop(): void;
}

/** Samples RSS every `everyMs` (peak) and CPU from start to read, for a set of pids (re-listed each sample). */
export function meter(pids: () => number[], everyMs = 500): Meter {
  const t0 = performance.now();
  const c0 = cpuSeconds(pids());
  let peak = rssBytes(pids());
  let last = peak;
  const timer = setInterval(() => {
    last = rssBytes(pids());
    peak = Math.max(peak, last);
  }, everyMs);
  timer.unref();
  return {
    read() {
      const wallS = (performance.now() - t0) / 1000;
      return {
        cpuCores: (cpuSeconds(pids()) - c0) / Math.max(wallS, 1e-9),
        peakRssBytes: peak,
        rssBytes: last,
        wallS,
      };
    },
    stop: () => clearInterval(timer),
  };
}

export const CORES = cpus().length;
