// Outreach requests and chat invites the user asks for, through the real worker on both providers.
import { jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { addAccount } from '../../worker/core/accounts.ts';
import { requestOutreach, scheduleChat } from '../../worker/core/outreach.ts';
import { stopContact } from '../../worker/core/user-actions.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from './provider-fixtures.ts';

jest.setTimeout(120_000);

describe.each<Kind>(['google', 'microsoft'])('outreach and invites on %s', (kind) => {
  let stack: Stack;
  let f: Fixture;
  beforeAll(async () => {
    stack = await startStack();
    f = fixture(stack.sandbox, kind, `reach-${kind}`);
    await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('drafts an outreach request that says why, asks for advice not a job, and is never sent', async () => {
    const why = 'your talk on moving from support engineering into developer relations at DevConf';
    await requestOutreach(stack.app, { to: 'rosa@example.org', name: 'Rosa Diaz', why });
    const draft = await waitFor('outreach draft', () =>
      f.drafts().find((d) => d.to.includes('rosa@example.org')),
    );
    expect(draft.text).toContain(why);
    expect(draft.text).toMatch(/Rosa/);
    expect(draft.text).toMatch(/15.20 minutes/);
    expect(draft.text).toMatch(/not .*job|advice/i);
    // Asking twice for the same reason does not make a second draft.
    await requestOutreach(stack.app, { to: 'rosa@example.org', name: 'Rosa Diaz', why });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(f.drafts().filter((d) => d.to.includes('rosa@example.org'))).toHaveLength(1);
  });

  it('refuses outreach to a do-not-contact address with one clear line', async () => {
    await requestOutreach(stack.app, {
      to: 'no.more@example.org',
      why: 'a specific reason that is long enough',
    });
    await waitFor('first draft', () => f.drafts().some((d) => d.to.includes('no.more@example.org')));
    await stopContact(stack.app, 'no.more@example.org');
    await expect(
      requestOutreach(stack.app, { to: 'no.more@example.org', why: 'another specific reason here' }),
    ).rejects.toThrow(/do-not-contact/);
  });

  it('creates the chat invite with both zones and a video link, which then flows through the pipeline', async () => {
    const at = DateTime.now()
      .setZone('America/Los_Angeles')
      .plus({ days: 2 })
      .set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    const r = await scheduleChat(stack.app, {
      with: 'kenji@example.jp',
      name: 'Kenji Watanabe',
      at: at.toISO({ includeOffset: false })!,
      duration: '20m',
      zone: 'America/Los_Angeles',
    });
    expect(r.conferenceUrl).toMatch(/^https:\/\//);
    const invite = await waitFor('invite on the calendar', () =>
      f.createdEvents().find((e) => e.attendees === 1),
    );
    expect(invite.attendees).toBe(1);
    const chat = await waitFor('the invite detected as a chat', () =>
      stack.app.prisma.chat.findFirst({ where: { contact: { email: 'kenji@example.jp' } } }),
    );
    expect(chat.detectionReasons.join(' ')).toMatch(/coffee-chat|#coffeechat/);
    expect(chat.endUtc.getTime() - chat.startUtc.getTime()).toBe(20 * 60_000);
    // …and gets its prep block like any other chat.
    const endsAtChat = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).toMillis() === at.toMillis();
    await waitFor('prep block for the invite', () =>
      f.createdEvents().some((e) => e.attendees === 0 && endsAtChat(e.end)),
    );
  });
});
