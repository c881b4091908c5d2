import { sleptFor, watchForWake } from '../../worker/services/wake-watch.ts';

describe('noticing that the laptop slept', () => {
  it('a tick 40 minutes late is a sleep; a busy event loop 30 s late is not', () => {
    const t0 = Date.UTC(2026, 10, 29, 12);
    expect(sleptFor(t0, t0 + 15_000, 15_000)).toBe(0);
    expect(sleptFor(t0, t0 + 45_000, 15_000)).toBe(0);
    expect(sleptFor(t0, t0 + 40 * 60_000, 15_000)).toBe(40 * 60_000);
  });

  it('calls back once with how long the process was away when the clock jumps between ticks', async () => {
    let offset = 0;
    const woke: number[] = [];
    const stop = watchForWake((ms) => woke.push(ms), { tickMs: 20, clock: () => Date.now() + offset });
    try {
      await new Promise((r) => setTimeout(r, 70));
      expect(woke).toEqual([]);
      offset = 25 * 60_000;
      await new Promise((r) => setTimeout(r, 70));
      expect(woke).toHaveLength(1);
      expect(woke[0]).toBeGreaterThanOrEqual(25 * 60_000);
      expect(woke[0]).toBeLessThan(26 * 60_000);
    } finally {
      stop();
    }
  });
});
