// The sandbox's standing faults (`share`): each matching request is hit on its own draw, and the
// fault stays until removed, where a counted fault (`times`) hits the next requests and is gone.
import { FaultRegistry } from '../../sandbox/faults.ts';

const req = { provider: 'google' as const, method: 'GET', path: '/calendar/v3/x' };

test('a standing fault hits about its share of requests and never runs out', () => {
  const faults = new FaultRegistry();
  let seed = 7;
  faults.random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const f = faults.add({ provider: 'google', kind: 'server_error', status: 503, share: 0.1 });
  let hits = 0;
  for (let i = 0; i < 10_000; i++) if (faults.take(req)) hits += 1;
  expect(hits).toBeGreaterThan(850);
  expect(hits).toBeLessThan(1150);
  expect(f.hits).toBe(hits);
  expect(faults.list()).toHaveLength(1);
  // Another provider's requests are never hit.
  expect(faults.take({ ...req, provider: 'microsoft' })).toBeUndefined();
});

test('a counted fault hits the next matching requests, then is gone', () => {
  const faults = new FaultRegistry();
  faults.add({ provider: 'google', kind: 'server_error', status: 503, times: 2 });
  expect(faults.take(req)).toBeDefined();
  expect(faults.take(req)).toBeDefined();
  expect(faults.take(req)).toBeUndefined();
  expect(faults.list()).toHaveLength(0);
});
