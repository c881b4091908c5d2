// The retry horizon of provider writes (issue 12): an outage of hours, not minutes, is outlasted;
// no wait between tries exceeds 30 minutes; sync and plan jobs keep their short horizon (the next
// scheduled sync is their retry, and a long one would pile up behind the scheduler).
import {
  ACTION_JOB_OPTIONS,
  DEFAULT_JOB_OPTIONS,
  QUEUE_OF,
  cappedBackoff,
  cappedDelay,
  jobOptionsFor,
  retryHorizonMs,
  type JobName,
} from '../../worker/queues/queues.ts';

const HOUR = 3_600_000;

describe('retry horizon', () => {
  it('keeps a provider write retrying for 6 to 12 hours, never waiting more than 30 minutes', () => {
    const horizon = retryHorizonMs(ACTION_JOB_OPTIONS);
    expect(horizon).toBeGreaterThanOrEqual(6 * HOUR);
    expect(horizon).toBeLessThanOrEqual(12 * HOUR);
    const waits = Array.from({ length: (ACTION_JOB_OPTIONS.attempts ?? 1) - 1 }, (_, i) =>
      cappedDelay(i + 1),
    );
    expect(Math.max(...waits)).toBe(30 * 60_000);
    // It starts fast: the first retries come within seconds.
    expect(waits.slice(0, 3)).toEqual([2_000, 4_000, 8_000]);
  });

  it('jitters each wait by at most a quarter', () => {
    for (let n = 1; n <= 24; n++) {
      const d = cappedBackoff(n, 'capped');
      expect(d).toBeGreaterThanOrEqual(0.75 * cappedDelay(n));
      expect(d).toBeLessThanOrEqual(1.25 * cappedDelay(n));
    }
  });

  it('gives the long horizon to provider writes only', () => {
    for (const name of Object.keys(QUEUE_OF) as JobName[]) {
      expect(jobOptionsFor(name)).toBe(
        QUEUE_OF[name] === 'actions' ? ACTION_JOB_OPTIONS : DEFAULT_JOB_OPTIONS,
      );
    }
    expect(jobOptionsFor('create-draft').backoff).toEqual({ type: 'capped' });
    expect(jobOptionsFor('sync-account').attempts).toBe(8);
  });
});
