// The queue-lag gauge measures how late a waiting job is from when it became due, so an operator
// paged on it is not sent after a retry that is on time.
import { jobDueAt } from '../../worker/metrics.ts';

const added = Date.UTC(2026, 0, 10, 12, 0, 0);
const hour = 3_600_000;

describe('when a waiting job became due', () => {
  it('a first run is due at its add plus its delay', () => {
    expect(jobDueAt({ timestamp: added, delay: 5_000, attemptsMade: 0 })).toBe(added + 5_000);
  });

  it('a retry is due at its last run plus the backoff, not at its first add', () => {
    // Added at 12:00, ran and failed at 13:00 (a provider outage), backoff 30 s.
    const job = { timestamp: added, delay: 30_000, attemptsMade: 1, processedOn: added + hour };
    expect(jobDueAt(job)).toBe(added + hour + 30_000);
  });

  it('a job whose run crashed (attempts not counted) is still measured from its add', () => {
    const job = { timestamp: added, delay: 0, attemptsMade: 0, processedOn: added + hour };
    expect(jobDueAt(job)).toBe(added);
  });
});
