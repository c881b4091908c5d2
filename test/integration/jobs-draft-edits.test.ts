// A draft the user edited is theirs (issue 12): the refresh-draft job brings an unedited draft up
// to date when its chat moves but never overwrites an edit, and the retract-chat job takes back the
// unedited drafts of a cancelled chat but leaves an edited one in the mailbox. On the sandbox, a
// real database and real Redis, calling the job functions directly (no worker process).
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { refreshDraft } from '../../worker/jobs/refresh-draft.ts';
import { retractChat } from '../../worker/jobs/retract-chat.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from '../e2e/provider-fixtures.ts';

jest.setTimeout(90_000);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe.each<Kind>(['google', 'microsoft'])('drafts the user edited, on %s', (kind) => {
  let stack: Stack;
  let f: Fixture;
  let accountId: string;

  beforeAll(async () => {
    stack = await startStack();
    f = fixture(stack.sandbox, kind, `edits-${kind}`);
    ({
      account: { id: accountId },
    } = await addAccount(stack.app, { provider: kind, refreshToken: f.refreshToken, email: f.email }));
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The user edits the draft's body in the mail client. */
  async function editAsUser(draftId: string, text: string) {
    if (kind === 'google') await stack.sandbox.google.editDraftAsUser(f.email, draftId, { text });
    else stack.sandbox.microsoft.editDraft(f.email, draftId, { text });
  }
  const mailboxDraft = (id: string) => f.drafts().find((d) => d.id === id);

  /** A chat five hours ahead (its confirmation is due now), synced, planned, confirmation drafted. */
  async function confirmedChat(who: string) {
    const start = new Date(Math.ceil((Date.now() + 5 * HOUR) / MIN) * MIN);
    const email = `${who.toLowerCase()}@example.org`;
    const seeded = f.seed({
      title: `Coffee chat with ${who}`,
      start,
      minutes: 30,
      others: [{ email, name: who }],
    });
    await syncAccount(stack.app, accountId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({ where: { accountId, contact: { email } } });
    await planChat(stack.app, chat.id);
    const row = await stack.app.prisma.draft.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'confirmation' },
    });
    expect(await createDraft(stack.app, row.idempotencyKey)).toMatchObject({ outcome: 'created' });
    const made = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: row.id } });
    const draft = mailboxDraft(made.providerDraftId!);
    expect(draft).toBeDefined();
    return {
      eventId: seeded.id,
      start,
      chat,
      key: row.idempotencyKey,
      draftId: made.providerDraftId!,
      text: draft!.text,
    };
  }

  it('a moved chat updates its unedited confirmation, and leaves an edited one as the user wrote it', async () => {
    const untouched = await confirmedChat('Ines');
    const edited = await confirmedChat('Omar');
    const mine = 'Hi Omar, I rewrote this myself. See you then!';
    await editAsUser(edited.draftId, mine);

    for (const c of [untouched, edited]) f.move(c.eventId, new Date(c.start.getTime() + 2 * HOUR), 30);
    await syncAccount(stack.app, accountId);

    const mark = stack.sandbox.requests.length;
    expect(await refreshDraft(stack.app, untouched.key)).toMatchObject({ outcome: 'updated' });
    const calls = stack.sandbox.requests
      .slice(mark)
      .filter((r) => r.provider === kind && !/token/.test(r.endpoint))
      .map((r) => r.method);
    // Graph updates conditionally in one call (If-Match); Gmail has no such update: read, then write.
    expect(calls).toEqual(kind === 'microsoft' ? ['PATCH'] : ['GET', 'PUT']);
    const refreshed = f.drafts().filter((d) => d.to.includes('ines@example.org'));
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]!.text).not.toBe(untouched.text); // the new time is in it

    expect(await refreshDraft(stack.app, edited.key)).toMatchObject({ outcome: 'edited' });
    const omars = f.drafts().filter((d) => d.to.includes('omar@example.org'));
    expect(omars).toHaveLength(1);
    expect(omars[0]!.text.trim()).toBe(mine);
    // Asked again (another move, a retry): still the user's words.
    await refreshDraft(stack.app, edited.key);
    expect(
      f
        .drafts()
        .filter((d) => d.to.includes('omar@example.org'))[0]!
        .text.trim(),
    ).toBe(mine);
  });

  it('a cancelled chat takes back its unedited confirmation but leaves an edited one in the mailbox', async () => {
    const untouched = await confirmedChat('Pia');
    const edited = await confirmedChat('Rui');
    const mine = 'Rui, my own words here; please keep them.';
    await editAsUser(edited.draftId, mine);

    f.cancel(untouched.eventId);
    f.cancel(edited.eventId);
    await syncAccount(stack.app, accountId);
    for (const c of [untouched, edited]) {
      expect((await stack.app.prisma.chat.findUniqueOrThrow({ where: { id: c.chat.id } })).status).toBe(
        'cancelled',
      );
    }

    expect(await retractChat(stack.app, untouched.chat.id)).toContain(untouched.key);
    expect(mailboxDraft(untouched.draftId)).toBeUndefined();
    expect(f.drafts().filter((d) => d.to.includes('pia@example.org'))).toHaveLength(0);

    expect(await retractChat(stack.app, edited.chat.id)).not.toContain(edited.key);
    const kept = f.drafts().filter((d) => d.to.includes('rui@example.org'));
    expect(kept).toHaveLength(1);
    expect(kept[0]!.text.trim()).toBe(mine);
    expect(
      (await stack.app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: edited.key } })).status,
    ).toBe('created');
  });
});
