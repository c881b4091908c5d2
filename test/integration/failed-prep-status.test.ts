// A prep block whose job failed for good (CalendarEntry.failedAt) is not "scheduled" any more:
// `status` and the review page show it as failed, with the reason (issue 12).
import { jest } from '@jest/globals';
import { recordFinalFailure } from '../../worker/core/failures.ts';
import { getStatus } from '../../worker/core/status.ts';
import { loadOverview } from '../../worker/web/overview-data.ts';
import { renderOverview } from '../../worker/web/overview-page.ts';
import type { App } from '../../worker/app.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { addSam, createReviewApp } from '../helpers/review-fixture.ts';

jest.setTimeout(60_000);
const HOUR = 3_600_000;

describe('a prep block that failed for good', () => {
  let db: TestDb;
  let app: App;

  beforeAll(async () => {
    db = await openTestDb('embedded');
    app = await createReviewApp(db, 'failed-prep', () => Promise.reject(new Error('no providers here')));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('is listed as failed with its error, not as scheduled', async () => {
    const { user, account } = await addSam(app);
    const now = new Date();
    const chats = [];
    for (const who of ['ada', 'bo']) {
      const contact = await app.prisma.contact.create({
        data: { userId: user.id, email: `${who}@example.org`, name: who },
      });
      const start = new Date(now.getTime() + 48 * HOUR);
      const chat = await app.prisma.chat.create({
        data: {
          userId: user.id,
          accountId: account.id,
          providerEventId: `ev-${who}`,
          contactId: contact.id,
          title: `Coffee chat with ${who}`,
          startUtc: start,
          endUtc: new Date(start.getTime() + HOUR / 2),
          timeZone: 'UTC',
          detectionReasons: ['title says coffee'],
        },
      });
      await app.prisma.calendarEntry.create({
        data: {
          chatId: chat.id,
          accountId: account.id,
          kind: 'prep',
          calendarId: 'primary',
          idempotencyKey: `prep-${chat.id}`,
          startUtc: new Date(start.getTime() - HOUR / 2),
          endUtc: start,
        },
      });
      chats.push(chat);
    }
    const [failing, fine] = chats as [(typeof chats)[0], (typeof chats)[0]];
    await recordFinalFailure(
      app,
      { name: 'create-prep', data: { key: `prep-${failing.id}` } },
      new Error('forbidden: <b>calendar</b> is read-only'),
    );

    const status = await getStatus(app.prisma, now);
    expect(status.scheduled.filter((s) => s.kind === 'prep').map((s) => s.chatId)).toEqual([fine.id]);
    expect(status.drafts).toEqual([
      expect.objectContaining({
        kind: 'prep',
        status: 'failed',
        chatId: failing.id,
        contactEmail: 'ada@example.org',
        lastError: 'forbidden: <b>calendar</b> is read-only',
      }),
    ]);

    const page = renderOverview(await loadOverview(app), {}, 'csrf');
    const scheduledSection = page.slice(page.indexOf('<section id="scheduled">'));
    expect(scheduledSection.slice(0, scheduledSection.indexOf('</section>'))).not.toContain('ada');
    const drafts = page.slice(page.indexOf('<section id="drafts">'));
    const draftsSection = drafts.slice(0, drafts.indexOf('</section>'));
    expect(draftsSection).toContain('forbidden: &lt;b&gt;calendar&lt;/b&gt; is read-only');
    expect(draftsSection).toMatch(/pill bad">failed/);
  });
});
