// Contract: the sandbox's Gmail v1 behaves as Google documents, seen through the real SDK.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { errorOf, googleFixture, header } from './google-helpers.ts';

async function mime(opts: {
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  headers?: Record<string, string>;
}) {
  const buf = await new MailComposer({ from: 'ada@example.com', ...opts }).compile().build();
  return buf.toString('base64url');
}

describe('gmail sandbox (real @googleapis/gmail)', () => {
  let fx: Awaited<ReturnType<typeof googleFixture>>;
  beforeAll(async () => {
    fx = await googleFixture();
  });
  beforeEach(() => fx.reset());
  afterAll(async () => {
    await fx.sandbox.close();
  });

  test('profile has a historyId', async () => {
    const { gmail } = fx.client();
    const p = await gmail.users.getProfile({ userId: 'me' });
    expect(p.data.emailAddress).toBe(fx.email);
    expect(Number(p.data.historyId)).toBeGreaterThan(0);
  });

  test('a MIME draft decodes back to the same subject and body; update gives a new message id; drafts.get raw round-trips', async () => {
    const { gmail } = fx.client();
    const raw = await mime({
      to: 'Grace <grace@example.org>',
      subject: 'Thank you — café ☕',
      text: 'Plain body',
      html: '<p>HTML body</p>',
      messageId: '<m1@coffee.chat>',
      headers: { 'X-Coffee-Chat-Key': 'k-1' },
    });
    const created = await gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } });
    expect(created.data.id).toBeTruthy();
    expect(created.data.message?.labelIds).toEqual(['DRAFT']);
    const [decoded] = fx.sandbox.google.drafts(fx.email);
    expect(decoded).toMatchObject({
      subject: 'Thank you — café ☕',
      to: '"Grace" <grace@example.org>',
      messageId: '<m1@coffee.chat>',
      html: '<p>HTML body</p>',
    });
    expect(decoded!.text.trim()).toBe('Plain body');
    expect(decoded!.headers['x-coffee-chat-key']).toBe('k-1');

    const full = await gmail.users.drafts.get({ userId: 'me', id: created.data.id!, format: 'full' });
    const subj = full.data.message?.payload?.headers?.find((h) => h.name === 'Subject')?.value;
    expect(subj).toBe('Thank you — café ☕');
    const rawBack = await gmail.users.drafts.get({ userId: 'me', id: created.data.id!, format: 'raw' });
    expect(Buffer.from(rawBack.data.message!.raw!, 'base64url').toString()).toContain(
      'X-Coffee-Chat-Key: k-1',
    );

    const upd = await gmail.users.drafts.update({
      userId: 'me',
      id: created.data.id!,
      requestBody: {
        message: { raw: await mime({ to: 'grace@example.org', subject: 'Edited', text: 'x' }) },
      },
    });
    expect(upd.data.id).toBe(created.data.id);
    expect(upd.data.message?.id).not.toBe(created.data.message?.id);
    const gone = await errorOf(gmail.users.messages.get({ userId: 'me', id: created.data.message!.id! }));
    expect(gone.status).toBe(404);
  });

  test('send removes the draft and adds a SENT message under a new id, in its thread, findable by rfc822msgid:', async () => {
    const { gmail } = fx.client();
    fx.sandbox.google.setSearchIndexDelay(0); // the query language, not the index delay (tested below)
    const d = await gmail.users.drafts.create({
      userId: 'me',
      requestBody: {
        message: {
          raw: await mime({
            to: 'grace@example.org',
            subject: 'Hi',
            text: 'b',
            messageId: '<send-1@coffee.chat>',
          }),
        },
      },
    });
    const sent = await gmail.users.drafts.send({ userId: 'me', requestBody: { id: d.data.id! } });
    expect(sent.data.labelIds).toEqual(['SENT']);
    expect(sent.data.id).not.toBe(d.data.message?.id);
    expect(sent.data.threadId).toBe(d.data.message?.threadId);
    const missing = await errorOf(gmail.users.drafts.get({ userId: 'me', id: d.data.id! }));
    expect(missing.status).toBe(404);
    expect(missing.response?.data.error?.errors?.[0]?.reason).toBe('notFound');
    const found = await gmail.users.messages.list({
      userId: 'me',
      q: 'rfc822msgid:send-1@coffee.chat in:sent',
    });
    expect(found.data.messages?.map((m) => m.id)).toEqual([sent.data.id]);
  });

  test('messages.list q: drafts are listed unless excluded; from/to groups, after:, newer_than:, OR', async () => {
    const { gmail } = fx.client();
    fx.sandbox.google.setSearchIndexDelay(0); // the query language, not the index delay (tested below)
    const g = fx.sandbox.google;
    await g.seedMail(fx.email, {
      direction: 'received',
      from: 'Grace <grace@example.org>',
      to: fx.email,
      subject: 'old',
      text: 'a',
      date: '2024-01-10T12:00:00Z',
    });
    const recent = await g.seedMail(fx.email, {
      direction: 'received',
      from: 'grace@example.org',
      to: fx.email,
      subject: 'recent',
      text: 'b',
      date: new Date(Date.now() - 2 * 86400_000),
    });
    await g.seedMail(fx.email, {
      direction: 'sent',
      to: 'grace@example.org',
      subject: 'reply',
      text: 'c',
      date: new Date(Date.now() - 86400_000),
    });
    await g.seedMail(fx.email, {
      direction: 'received',
      from: 'bob@example.net',
      to: fx.email,
      subject: 'other',
      text: 'd',
    });
    await gmail.users.drafts.create({
      userId: 'me',
      requestBody: { message: { raw: await mime({ to: 'grace@example.org', subject: 'draft', text: 'e' }) } },
    });

    const ids = async (q: string) =>
      (await gmail.users.messages.list({ userId: 'me', q })).data.messages?.length ?? 0;
    expect(await ids('{from:grace@example.org to:grace@example.org}')).toBe(4);
    expect(await ids('{from:grace@example.org to:grace@example.org} -in:drafts')).toBe(3);
    expect(await ids('in:drafts')).toBe(1);
    expect(await ids('{from:grace@example.org to:grace@example.org} after:2025/01/01 -in:drafts')).toBe(2);
    expect(await ids(`from:grace@example.org after:${Math.floor(Date.now() / 1000) - 3 * 86400}`)).toBe(1);
    expect(await ids('newer_than:3d from:grace')).toBe(1);
    expect(await ids('in:sent to:grace@example.org')).toBe(1);
    expect(await ids('from:bob@example.net OR subject:old')).toBe(2);
    expect(await ids('before:2024/02/01')).toBe(1);
    const none = await gmail.users.messages.list({ userId: 'me', q: 'from:nobody@example.com' });
    expect(none.data.messages).toBeUndefined();
    expect(none.data.resultSizeEstimate).toBe(0);

    const meta = await gmail.users.messages.get({
      userId: 'me',
      id: recent.id,
      format: 'metadata',
      metadataHeaders: ['From'],
    });
    expect(meta.data.payload?.headers).toEqual([{ name: 'From', value: 'grace@example.org' }]);
    expect(Number(meta.data.internalDate)).toBe(new Date(recent.internalDate).getTime());
  });

  test('search (q) sees a new draft only after the index delay; drafts.list without q, messages.get and threads.get at once', async () => {
    const { gmail } = fx.client();
    fx.sandbox.google.setSearchIndexDelay(400);
    const raw = await mime({
      to: 'grace@example.org',
      subject: 'Hi',
      text: 'b',
      messageId: '<lag-1@coffee.chat>',
    });
    const d = await gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } });
    const byQuery = () => gmail.users.drafts.list({ userId: 'me', q: 'rfc822msgid:lag-1@coffee.chat' });
    expect((await byQuery()).data.drafts).toBeUndefined();
    const listed = await gmail.users.drafts.list({ userId: 'me' });
    expect(listed.data.drafts?.map((x) => x.id)).toEqual([d.data.id]);
    const labelled = await gmail.users.messages.list({ userId: 'me', labelIds: ['DRAFT'] });
    expect(labelled.data.messages?.map((x) => x.id)).toEqual([d.data.message?.id]);
    const meta = await gmail.users.messages.get({
      userId: 'me',
      id: d.data.message!.id!,
      format: 'metadata',
      metadataHeaders: ['Message-ID'],
    });
    expect(meta.data.payload?.headers).toEqual([{ name: 'Message-ID', value: '<lag-1@coffee.chat>' }]);
    const thread = await gmail.users.threads.get({
      userId: 'me',
      id: d.data.message!.threadId!,
      format: 'minimal',
    });
    expect(thread.data.messages?.map((m) => m.labelIds)).toEqual([['DRAFT']]);
    await new Promise((r) => setTimeout(r, 450));
    expect((await byQuery()).data.drafts?.map((x) => x.id)).toEqual([d.data.id]);
  });

  test("the user sends from Gmail: Gmail's own Message-ID, no X- headers, same thread; a discarded draft takes its thread along", async () => {
    const { gmail } = fx.client();
    const g = fx.sandbox.google;
    const raw = await mime({
      to: 'grace@example.org',
      subject: 'Thanks',
      text: 'b',
      messageId: '<ours-1@coffee.chat>',
      headers: { 'X-Coffee-Chat-Key': 'k-9' },
    });
    const d = await gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } });
    const sent = await g.sendDraftAsUser(fx.email, d.data.id!);
    expect(sent.messageId).toMatch(/^<CA[^@]+@mail\.gmail\.com>$/);
    expect(sent.headers['x-coffee-chat-key']).toBeUndefined();
    expect(sent.subject).toBe('Thanks');
    expect(sent.threadId).toBe(d.data.message?.threadId);
    const thread = await gmail.users.threads.get({ userId: 'me', id: sent.threadId, format: 'minimal' });
    expect(thread.data.messages?.map((m) => [m.id, m.labelIds])).toEqual([[sent.id, ['SENT']]]);

    const other = await gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } });
    g.deleteDraftAsUser(fx.email, other.data.id!);
    const gone = await errorOf(gmail.users.threads.get({ userId: 'me', id: other.data.message!.threadId! }));
    expect(gone.status).toBe(404);
  });

  test('a draft keeps its thread through an API update that names it and a body edit in Gmail; a new subject or no threadId moves it', async () => {
    const { gmail } = fx.client();
    const g = fx.sandbox.google;
    const raw = await mime({ to: 'grace@example.org', subject: 'Thanks', text: 'b' });
    const d = await gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } });
    const t0 = d.data.message!.threadId!;
    const kept = await gmail.users.drafts.update({
      userId: 'me',
      id: d.data.id!,
      requestBody: { message: { raw, threadId: t0 } },
    });
    expect(kept.data.message?.threadId).toBe(t0);
    expect((await g.editDraftAsUser(fx.email, d.data.id!, { text: 'longer' })).threadId).toBe(t0);
    const moved = await g.editDraftAsUser(fx.email, d.data.id!, { subject: 'Thanks again' });
    expect(moved.threadId).not.toBe(t0);
    const unnamed = await gmail.users.drafts.update({
      userId: 'me',
      id: d.data.id!,
      requestBody: { message: { raw } },
    });
    expect(unnamed.data.message?.threadId).not.toBe(moved.threadId);
  });

  test('history.list returns changes since a historyId, 404 when it is too old', async () => {
    const { gmail } = fx.client();
    const p = await gmail.users.getProfile({ userId: 'me' });
    await fx.sandbox.google.seedMail(fx.email, {
      direction: 'received',
      from: 'grace@example.org',
      to: fx.email,
      subject: 's',
      text: 't',
    });
    const h = await gmail.users.history.list({ userId: 'me', startHistoryId: p.data.historyId! });
    expect(h.data.history?.[0]?.messagesAdded).toHaveLength(1);
    fx.sandbox.google.expireHistory(fx.email);
    const err = await errorOf(gmail.users.history.list({ userId: 'me', startHistoryId: p.data.historyId! }));
    expect(err.status).toBe(404);
  });

  test('rate limit 429 with Retry-After on drafts.create reaches the caller (gaxios does not retry POST)', async () => {
    const { gmail } = fx.client();
    fx.sandbox.faults.add({
      provider: 'google',
      kind: 'rate_limit',
      status: 429,
      method: 'POST',
      pathIncludes: '/drafts',
      retryAfterSeconds: 3,
    });
    const err = await errorOf(
      gmail.users.drafts.create({
        userId: 'me',
        requestBody: { message: { raw: await mime({ to: 'g@example.org', subject: 's', text: 't' }) } },
      }),
    );
    expect(err.status).toBe(429);
    expect(err.response?.data.error?.errors?.[0]?.reason).toBe('rateLimitExceeded');
    expect(header(err.response?.headers, 'retry-after')).toBe('3');
    expect(fx.sandbox.google.drafts(fx.email)).toHaveLength(0);
  });

  test('bad requests get Google JSON errors, never a stack trace', async () => {
    const { gmail } = fx.client();
    const noRaw = await errorOf(gmail.users.drafts.create({ userId: 'me', requestBody: { message: {} } }));
    expect(noRaw.status).toBe(400);
    expect(noRaw.response?.data.error?.code).toBe(400);
    const other = await errorOf(gmail.users.getProfile({ userId: 'someone-else@example.com' }));
    expect(other.status).toBe(403);
    const missing = await errorOf(gmail.users.messages.get({ userId: 'me', id: 'ffffffffffffffff' }));
    expect(missing.status).toBe(404);
    expect(missing.response?.data.error?.errors?.[0]?.reason).toBe('notFound');
  });

  test('a reply joins the thread of the message it references only when the subjects match', async () => {
    const { gmail } = fx.client();
    const g = fx.sandbox.google;
    const ask = await g.seedMail(fx.email, {
      direction: 'sent',
      to: 'iris@example.org',
      subject: 'Could I ask your advice, Iris?',
      text: 'hello',
      date: new Date(Date.now() - 3_600_000),
    });
    const reply = await g.seedMail(fx.email, {
      direction: 'received',
      from: 'iris@example.org',
      to: fx.email,
      subject: 'RE: Could I ask your advice, Iris?',
      text: 'sure',
      inReplyTo: ask.messageId,
    });
    const other = await g.seedMail(fx.email, {
      direction: 'received',
      from: 'iris@example.org',
      to: fx.email,
      subject: 'Something else entirely',
      text: 'new topic',
      inReplyTo: ask.messageId,
    });
    expect(reply.threadId).toBe(ask.threadId);
    expect(other.threadId).not.toBe(ask.threadId);
    const thread = await gmail.users.threads.get({
      userId: 'me',
      id: ask.threadId,
      format: 'metadata',
      metadataHeaders: ['From'],
    });
    expect(thread.data.messages?.map((m) => m.id)).toEqual([ask.id, reply.id]);
  });
});
