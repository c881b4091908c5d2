// Each account's periodic work fires at its own place in the interval (issue 14): with the
// schedulers all made at one worker start, 10,000 accounts' syncs used to fall due in the same
// instant every interval, and the last of that burst waited minutes. Real Redis, embedded DB.
import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Duration } from 'luxon';
import type { App } from '../../worker/app.ts';
import {
  heldSchedulers,
  SCHEDULER_PAGE,
  scheduleAccounts,
  schedulerOffset,
} from '../../worker/queues/account-schedulers.ts';
import { openBareApp, type BareApp } from '../helpers/bare-app.ts';

jest.setTimeout(60_000);
const EVERY = 5 * 60_000;

let bare: BareApp;
let app: App;

beforeAll(async () => {
  bare = await openBareApp('spread', { env: { SYNC_INTERVAL: 'PT5M' } });
  app = bare.app;
});
afterAll(async () => {
  await bare?.close();
});

/** When each pending job of this name is due (ms since epoch), by account. */
async function dueTimes(name: string): Promise<Map<string, number>> {
  const jobs = await app.queues.sync.getJobs(['delayed', 'waiting', 'prioritized']);
  const out = new Map<string, number>();
  for (const j of jobs) {
    if (j?.name === name) out.set((j.data as { accountId: string }).accountId, j.timestamp + (j.delay ?? 0));
  }
  return out;
}

test('syncs of accounts scheduled together fall due spread over the interval, not in one burst', async () => {
  const ids = Array.from({ length: 200 }, () => randomUUID());
  const before = Date.now();
  expect(await scheduleAccounts(app, ids)).toBe(600);
  const due = [...(await dueTimes('sync-account')).values()];
  expect(due).toHaveLength(200);
  for (const t of due) {
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now() + EVERY);
  }
  // Evenly spread, 200 over 5 minutes is ~13 per 20 s; a burst would put them all in one window.
  const windows = new Map<number, number>();
  for (const t of due) windows.set(Math.floor(t / 20_000), (windows.get(Math.floor(t / 20_000)) ?? 0) + 1);
  expect(Math.max(...windows.values())).toBeLessThan(40);
  expect(Math.max(...due) - Math.min(...due)).toBeGreaterThan(EVERY / 2);
  // Send detection of an account is half an interval from its sync.
  const track = await dueTimes('track-drafts');
  const sync = await dueTimes('sync-account');
  for (const id of ids.slice(0, 20)) {
    const gap = (track.get(id)! - sync.get(id)! + EVERY) % EVERY;
    expect(Math.abs(gap - EVERY / 2)).toBeLessThan(5_000);
  }
  // A second reconcile finds nothing to do.
  expect(await scheduleAccounts(app, ids)).toBe(0);
});

test('a scheduler made before the offsets (all at once) is moved to its own place', async () => {
  const id = randomUUID();
  // As the worker made it before: no offset, so its next run followed the moment it was made.
  await app.queues.sync.upsertJobScheduler(
    `sync-${id}`,
    { every: EVERY },
    { name: 'sync-account', data: { accountId: id, reason: 'schedule' } },
  );
  expect(await scheduleAccounts(app, [id])).toBe(3);
  const scheduler = await app.queues.sync.getJobScheduler(`sync-${id}`);
  expect(Number(scheduler?.every)).toBe(EVERY);
  expect(Number(scheduler?.next) % EVERY).toBe(schedulerOffset(id, EVERY));
  expect((scheduler?.template?.data as { v?: string }).v).toBeTruthy();
  // Its one pending run is the one at its new place.
  const runs = (await app.queues.sync.getJobs(['delayed', 'waiting'])).filter((j) =>
    j?.id?.startsWith(`repeat:sync-${id}:`),
  );
  expect(runs.map((j) => j.id)).toEqual([`repeat:sync-${id}:${scheduler?.next}`]);
  expect(await scheduleAccounts(app, [id])).toBe(0);
});

test('a changed SYNC_INTERVAL remakes every scheduler at its place in the new interval, and a reader listing them meanwhile loses none', async () => {
  const ids: string[] = Array.from({ length: 1000 }, () => randomUUID());
  expect(await scheduleAccounts(app, ids)).toBe(3000);
  const before = (await app.queues.sync.getJobSchedulers(0, -1)).length;
  // Another process reading the schedulers all along (the queue board, a bench, another worker).
  let reading = true;
  const reader = (async () => {
    while (reading) await app.queues.sync.getJobSchedulers(0, -1);
  })();
  app.config.SYNC_INTERVAL = Duration.fromMillis(30_000);
  try {
    expect(await scheduleAccounts(app, ids)).toBe(2000);
  } finally {
    reading = false;
    await reader;
    app.config.SYNC_INTERVAL = Duration.fromMillis(EVERY);
  }
  const list = await app.queues.sync.getJobSchedulers(0, -1);
  expect(list.length).toBe(before);
  const mine = list.filter((s) => s.key.startsWith('sync-') && ids.includes(s.key.slice(5)));
  expect(mine).toHaveLength(1000);
  for (const s of mine) {
    expect(Number(s.every)).toBe(30_000);
    expect(Number(s.next) % 30_000).toBe(schedulerOffset(s.key.slice(5), 30_000));
  }
});

test('schedulers are read a page at a time; one a page missed (it fired and moved meanwhile) is looked up, not made again', async () => {
  const ids: string[] = Array.from({ length: 400 }, () => randomUUID());
  await scheduleAccounts(app, ids);
  const all = await app.queues.sync.getJobSchedulersCount();
  expect(all).toBeGreaterThan(SCHEDULER_PAGE);
  // Pages that miss one of ours, as when it moves to the end of the list between two reads.
  const missed = `track-${ids[123]}`;
  const pages: number[] = [];
  const list = app.queues.sync.getJobSchedulers.bind(app.queues.sync);
  const spy = jest.spyOn(app.queues.sync, 'getJobSchedulers').mockImplementation(async (start, end, asc) => {
    const page = await list(start, end, asc);
    pages.push(page.length);
    return page.filter((s) => s.key !== missed);
  });
  try {
    const held = await heldSchedulers(app.queues.sync, [missed]);
    expect(pages.length).toBeGreaterThan(1);
    expect(Math.max(...pages)).toBeLessThanOrEqual(SCHEDULER_PAGE);
    expect(held.size).toBe(all);
    expect(held.get(missed)).toMatchObject({ every: EVERY });
    expect(await scheduleAccounts(app, ids)).toBe(0);
  } finally {
    spy.mockRestore();
  }
});
