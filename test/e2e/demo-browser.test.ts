// The demo as a newcomer sees it: `coffee-chat demo` as a real child process (embedded database,
// the sandbox with its two demo users, the real worker, the review page), driven by the system
// Chromium through playwright-core. The page shows the Tokyo chat in both zones; a note added
// through the page's form ends up cited in the thank-you draft in the sandbox mailbox.
// `demo --once` on a fresh DATA_DIR must exit 0 with its summary (the issue's "under 2 minutes").
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MAYA = 'maya.chen@example.com';
const PRIYA = 'priya.raman@example.org';

jest.setTimeout(360_000);

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

interface DemoProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output (ANSI colours stripped). */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(args: string[], dataDir: string): DemoProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), 'demo', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      REDIS_URL: process.env.REDIS_URL!,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the demo re-spawns itself once, and cleanup must reach both.
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += String(b)));
  child.stderr!.on('data', (b) => (out += String(b)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output: () => stripAnsi(out),
    exited,
    async waitFor(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(stripAnsi(out));
        if (m) return m;
        if (done) throw new Error(`demo exited before printing ${re}:\n${stripAnsi(out)}`);
        if (Date.now() > deadline)
          throw new Error(`demo did not print ${re} within ${timeoutMs} ms:\n${stripAnsi(out)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

async function poll<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface SandboxDraft {
  draftId: string;
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
}

const tempDirs: string[] = [];
const demos: DemoProcess[] = [];
let browser: Browser | undefined;

function freshDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'coffee-chat-demo-'));
  tempDirs.push(d);
  return d;
}

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  for (const d of demos) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      try {
        process.kill(-d.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await d.exited;
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start: the demo and its review page', () => {
  test('the review page during a demo run: Tokyo chat in both zones, a note cited in the thank-you draft', async () => {
    const demo = startDemo(['--web-port', '0'], freshDataDir());
    demos.push(demo);
    const sandboxUrl = (await demo.waitFor(/sandbox\s+(http:\/\/127\.0\.0\.1:\d+) \(Google\)/, 60_000))[1]!;
    const reviewUrl = (await demo.waitFor(/Review page\s+(http:\/\/127\.0\.0\.1:\d+\/)/, 240_000))[1]!;
    await demo.waitFor(/Running; Ctrl-C to stop\./, 10_000);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      // Chromium hangs under libfaketime (the suite may run under `faketime` to try other hours):
      // the browser keeps the real clock; nothing it checks depends on the hour.
      env: withoutFakeTime(process.env),
    });
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(reviewUrl);

    // The Tokyo chat, with both zones (the page may load before the worker wrote everything).
    const kenji = page.locator('#upcoming .row', { hasText: 'Kenji' });
    const when = await poll('the Kenji chat with both zones', 30_000, async () => {
      if ((await kenji.count()) === 0) {
        await page.reload();
        return undefined;
      }
      const text = (await kenji.locator('.when').innerText()).replace(/\s+/g, ' ');
      return /your time/.test(text) && /Tokyo time/.test(text) ? text : undefined;
    });
    expect(when).toMatch(
      /^\w{3}, \w{3} \d+, \d+:\d\d [AP]M your time \(\w+\) \/ \w{3}, \w{3} \d+, \d+:\d\d [AP]M Tokyo time \(\w+\+?\d*\)/,
    );
    // Each half is the chat's start in that side's zone, computed here from the same record; Sam's
    // is a weekday morning in New York and Kenji's the late evening of the same weekday in Tokyo.
    const { chats } = await getJson<{
      chats: { title: string; start: string; userTimeZone: string; contactTimeZone: string | null }[];
    }>(`${reviewUrl}api/status`);
    const chat = chats.find((c) => c.title.includes('Kenji'))!;
    const mineAt = DateTime.fromISO(chat.start).setZone(chat.userTimeZone);
    const theirsAt = DateTime.fromISO(chat.start).setZone(chat.contactTimeZone!);
    const [mine, theirs] = when.split(' / ');
    expect(mine).toContain(`${mineAt.toFormat('ccc, LLL d')}, ${mineAt.toFormat('h:mm a')}`);
    expect(theirs).toContain(`${theirsAt.toFormat('ccc, LLL d')}, ${theirsAt.toFormat('h:mm a')}`);
    expect({
      zone: chat.userTimeZone,
      weekday: mineAt.weekday <= 5,
      morning: mineAt.hour >= 8 && mineAt.hour < 10,
    }).toEqual({ zone: 'America/New_York', weekday: true, morning: true });
    expect({
      zone: chat.contactTimeZone,
      weekday: theirsAt.weekday <= 5,
      evening: theirsAt.hour >= 21,
    }).toEqual({ zone: 'Asia/Tokyo', weekday: true, evening: true });
    expect(await kenji.innerText()).toContain('kenji.watanabe@example.jp');

    // The board of people by stage, each with a next step: Nadia's reply in the outreach's thread
    // was noticed (replied), Tomás waits for one, Alex and Rosa are targets, Priya was met.
    const stageOf = async (email: string) =>
      page
        .locator(`#people .person[data-email="${email}"]`)
        .evaluate((el) => el.closest('.stage')!.getAttribute('data-stage'));
    await poll('Nadia replied on the board', 30_000, async () => {
      await page.reload();
      return (await page
        .locator('#people .stage[data-stage="replied"] .person', { hasText: 'Nadia Haddad' })
        .count()) === 1
        ? true
        : undefined;
    });
    expect({
      alex: await stageOf('alex.kim@example.net'),
      rosa: await stageOf('rosa.diaz@example.org'),
      tomas: await stageOf('tomas.silva@example.com.br'),
      nadia: await stageOf('nadia.haddad@example.ae'),
      priya: await stageOf(PRIYA),
    }).toEqual({ alex: 'target', rosa: 'target', tomas: 'asked', nadia: 'replied', priya: 'met' });
    // Columns come in the playbook's order; the introducer himself is not on the board.
    const stages = await page
      .locator('#people .stage')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
    expect(stages.slice(0, 3)).toEqual(['target', 'asked', 'replied']);
    expect(await page.locator('#people .person[data-email="dev.patel@example.com"]').count()).toBe(0);
    const rosa = await page.locator('#people .person[data-email="rosa.diaz@example.org"]').innerText();
    expect(rosa).toContain('Head of Product at Contoso Health');
    expect(rosa).toMatch(/Next: review and send the introduction request to dev\.patel@example\.com/);
    expect(
      await page.locator('#people .person[data-email="tomas.silva@example.com.br"] .next').innerText(),
    ).toMatch(/^Next: waiting for a reply; one gentle follow-up drafted \w{3}, \w{3} \d{1,2} if none$/);

    // Add the thank-you note to Priya's chat through the form.
    const note = `Talk to the platform team before applying (${Date.now().toString(36)})`;
    const priya = page.locator('#recent .row', { hasText: PRIYA });
    await expect1(priya);
    await priya.locator('textarea[name="note"]').fill(note);
    await Promise.all([
      page.waitForURL(/[?&]flash=/),
      priya.getByRole('button', { name: /save note|update note/i }).click(),
    ]);
    const flash = await page.locator('.flash.ok').innerText();
    expect(flash).toContain('the thank-you will cite it');
    expect(
      await page.locator('#recent .row', { hasText: PRIYA }).locator('textarea[name="note"]').inputValue(),
    ).toBe(note);

    // The drafted thank-you follows the chat while unedited: it is re-rendered with the note.
    const draft = await poll('the thank-you draft to Priya citing the note', 60_000, async () => {
      const { drafts } = await getJson<{ drafts: SandboxDraft[] }>(
        `${sandboxUrl}/__admin/google/accounts/${encodeURIComponent(MAYA)}/drafts`,
      );
      return drafts.find((d) => String(d.to).includes(PRIYA) && d.text.includes(note));
    });
    expect(draft.subject).toMatch(/thank you/i);
    if (draft.html) expect(draft.html).toContain(note.split(' (')[0]);
    // Still exactly one thank-you to Priya: updated in place, not a second draft.
    const all = (
      await getJson<{ drafts: SandboxDraft[] }>(
        `${sandboxUrl}/__admin/google/accounts/${encodeURIComponent(MAYA)}/drafts`,
      )
    ).drafts;
    expect(all.filter((d) => String(d.to).includes(PRIYA))).toHaveLength(1);

    await page.reload();
    await page.locator('#upcoming .row', { hasText: 'Kenji' }).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-review-page.png'), fullPage: true });
    await browser.close();
    browser = undefined;

    // Ctrl-C / SIGTERM: the demo (the parent forwards it to its re-spawned child) exits cleanly.
    const stopping = Date.now();
    demo.child.kill('SIGTERM');
    const exit = await withTimeout(demo.exited, 30_000, 'the demo to stop after SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    process.stderr.write(`[demo] stopped ${((Date.now() - stopping) / 1000).toFixed(1)} s after SIGTERM\n`);
  });

  test('demo --once on a fresh DATA_DIR exits 0 with the summary', async () => {
    const started = Date.now();
    const demo = startDemo(['--once', '--web-port', '0'], freshDataDir());
    demos.push(demo);
    const exit = await withTimeout(demo.exited, 150_000, 'demo --once to finish');
    const seconds = (Date.now() - started) / 1000;
    const out = demo.output();
    expect({ exit, tail: out.slice(-600) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(out).toContain('3. Summary');
    expect(out).toMatch(/Virtual coffee — Kenji/);
    expect(out).toContain('Asia/Tokyo');
    expect(out).toMatch(/thank_you: Thank you, Priya/);
    expect(out).toMatch(/Review page\s+http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).not.toMatch(/not everything expected happened/);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(
      join(ARTIFACTS, 'demo-once-timing.txt'),
      `demo --once wall time: ${seconds.toFixed(1)} s\n`,
    );
    process.stderr.write(`[demo] --once finished in ${seconds.toFixed(1)} s\n`);
    expect(seconds).toBeLessThan(120);
  });

  // The week is computed from the clock: at a US spring-forward (a Sunday night in Los Angeles,
  // Oliver's chat 7 h from London instead of 8) and a mid-April morning (the next US/UK change is
  // half a year away: the DST chat moves to Santiago; Kenji's chat two days off, so its
  // confirmation is scheduled rather than drafted), every chat starts 08:00–20:00 for its user.
  test.each(['2027-03-14T09:30:00Z', '2027-04-15T14:00:00Z'])(
    'demo --once --at %s: a believable week, read back from the demo database',
    async (at) => {
      const dataDir = freshDataDir();
      const demo = startDemo(['--once', '--web-port', '0', '--at', at], dataDir);
      demos.push(demo);
      const exit = await withTimeout(demo.exited, 150_000, `demo --once --at ${at} to finish`);
      expect({ exit, tail: demo.output().slice(-600) }).toMatchObject({ exit: { code: 0, signal: null } });
      expect(demo.output()).toContain(`clock     from ${new Date(at).toISOString()}`);

      const status = await runCli(['status', '--json'], { DATA_DIR: join(dataDir, 'demo') });
      const { chats } = JSON.parse(status) as {
        chats: {
          title: string;
          start: string;
          timeZone: string;
          userTimeZone: string;
          contactTimeZone: string | null;
        }[];
      };
      expect(chats.map((c) => c.title).sort()).toEqual(
        [
          'Coffee chat: Priya / Maya',
          at.startsWith('2027-03')
            ? 'Informational interview with Oliver'
            : 'Informational interview with Valentina',
          'Virtual coffee — Kenji & Sam',
        ].sort(),
      );
      for (const c of chats) {
        const mine = DateTime.fromISO(c.start).setZone(c.userTimeZone);
        expect({ title: c.title, hour: mine.hour >= 8 && mine.hour < 20 }).toEqual({
          title: c.title,
          hour: true,
        });
        expect(c.timeZone).toBeTruthy();
      }
      const dst = chats.find((c) => c.title.startsWith('Informational'))!;
      expect(dst.contactTimeZone).toBe(at.startsWith('2027-03') ? 'Europe/London' : 'America/Santiago');
    },
  );
});

/** `coffee-chat ARGS` against a data directory; resolves with its stdout, rejects on a non-zero exit. */
function runCli(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b) => (out += String(b)));
    child.stderr!.on('data', (b) => (err += String(b)));
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise(out)
        : reject(new Error(`coffee-chat ${args.join(' ')} exited ${code}: ${err}`)),
    );
  });
}

function withoutFakeTime(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && !/^(LD_PRELOAD|FAKETIME.*|DONT_FAKE_MONOTONIC)$/.test(k)) out[k] = v;
  return out;
}

async function expect1(locator: ReturnType<Page['locator']>): Promise<void> {
  await locator.first().waitFor({ timeout: 15_000 });
  expect(await locator.count()).toBe(1);
}

/**
 * GET a JSON body without keep-alive, so this process holds no pooled connection to the demo's
 * sandbox when the demo is told to stop (its exit on SIGTERM is measured).
 */
function getJson<T>(url: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    get(url, { agent: false, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400)
          return reject(new Error(`GET ${url}: ${res.statusCode} ${body.slice(0, 200)}`));
        try {
          resolvePromise(JSON.parse(body) as T);
        } catch (e) {
          reject(e as Error);
        }
      });
    }).on('error', reject);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
