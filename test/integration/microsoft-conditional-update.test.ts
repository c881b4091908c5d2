// MicrosoftMailbox.updateDraftIfUnchanged on the sandbox, through the real Graph SDK: one
// conditional PATCH (If-Match: W/"<changeKey>") replaces the draft-state read + update pair.
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { createMicrosoftClients } from '../../integrations/microsoft/index.ts';
import { weakEtag } from '../../integrations/microsoft/mail.ts';
import { COFFEE_CHAT_MARKER_ID } from '../../integrations/microsoft/markers.ts';
import type { DraftInput, MailboxProvider, ProviderEndpoints } from '../../integrations/provider.ts';
import { sandboxEndpoints } from '../helpers/sandbox-endpoints.ts';

const EMAIL = 'ada@contoso.example';

const draft = (marker: string, over: Partial<DraftInput> = {}): DraftInput => ({
  marker,
  to: { email: 'grace@example.org', name: 'Grace Hopper' },
  subject: 'Coffee on Tuesday?',
  text: 'See you Tuesday at 9.',
  html: '<p>See you Tuesday at 9.</p>',
  ...over,
});
const moved = (marker: string) =>
  draft(marker, {
    subject: 'Coffee on Wednesday?',
    text: 'See you Wednesday at 9.',
    html: '<p>See you Wednesday at 9.</p>',
  });

describe('microsoft updateDraftIfUnchanged on the sandbox', () => {
  let sandbox: Sandbox;
  let mailbox: MailboxProvider;
  let calls: string[];
  const graphCalls = () => calls.filter((c) => !c.includes('oauth2'));

  beforeEach(async () => {
    sandbox = await startSandbox();
    const seeded = sandbox.microsoft.seedAccount({
      email: EMAIL,
      name: 'Ada Lovelace',
      windowsTimeZone: 'Tokyo Standard Time',
    });
    const endpoints: ProviderEndpoints = sandboxEndpoints(sandbox);
    calls = [];
    mailbox = createMicrosoftClients(
      {
        provider: 'microsoft',
        email: EMAIL,
        refreshToken: seeded.refreshToken,
        onRefreshTokenRotated: async () => {},
        onCall: (e) => calls.push(e),
      },
      endpoints,
    ).mailbox;
  });
  afterEach(async () => {
    await sandbox.close();
  });

  test('an unedited draft is updated in ONE call and gets a new version', async () => {
    const ref = await mailbox.createDraft(draft('chat-1'));
    calls.length = 0;
    const updated = await mailbox.updateDraftIfUnchanged!(ref.draftId, ref.version, moved('chat-1'));
    expect(graphCalls()).toEqual(['PATCH /me/messages/{id}']);
    expect(updated).toMatchObject({
      draftId: ref.draftId,
      internetMessageId: ref.internetMessageId,
      version: expect.any(String),
    });
    expect(updated!.version).not.toBe(ref.version);
    const [stored] = sandbox.microsoft.drafts(EMAIL);
    expect(stored).toMatchObject({
      subject: 'Coffee on Wednesday?',
      html: '<p>See you Wednesday at 9.</p>',
      changeKey: updated!.version,
    });
    expect(stored!.markers[COFFEE_CHAT_MARKER_ID]).toBe('chat-1');
    // The new version is the one to send next time; the old one is stale now.
    const again = await mailbox.updateDraftIfUnchanged!(ref.draftId, updated!.version, draft('chat-1'));
    expect(again).not.toBeNull();
    expect(await mailbox.updateDraftIfUnchanged!(ref.draftId, updated!.version, moved('chat-1'))).toBeNull();
    expect(sandbox.microsoft.drafts(EMAIL)[0]).toMatchObject({
      subject: 'Coffee on Tuesday?',
      changeKey: again!.version,
    });
  });

  test("a draft the user edited is left alone: null, and the text is the user's", async () => {
    const ref = await mailbox.createDraft(draft('chat-2'));
    sandbox.microsoft.editDraft(EMAIL, ref.draftId, { html: '<p>Ada wrote this herself.</p>' });
    const before = sandbox.microsoft.drafts(EMAIL)[0]!;
    calls.length = 0;
    expect(await mailbox.updateDraftIfUnchanged!(ref.draftId, ref.version, moved('chat-2'))).toBeNull();
    expect(graphCalls()).toEqual(['PATCH /me/messages/{id}']);
    const after = sandbox.microsoft.drafts(EMAIL)[0]!;
    expect(after).toMatchObject({
      subject: 'Coffee on Tuesday?',
      html: '<p>Ada wrote this herself.</p>',
      changeKey: before.changeKey,
    });
  });

  test('a tenant that answers the stale If-Match with 409 ErrorIrresolvableConflict: also edited, null', async () => {
    sandbox.microsoft.setErrorStatuses({ ifMatchConflictStatus: 409 });
    const ref = await mailbox.createDraft(draft('chat-409'));
    sandbox.microsoft.editDraft(EMAIL, ref.draftId, { html: '<p>my own words</p>' });
    expect(await mailbox.updateDraftIfUnchanged!(ref.draftId, ref.version, moved('chat-409'))).toBeNull();
    expect(sandbox.microsoft.drafts(EMAIL)[0]!.html).toBe('<p>my own words</p>');
  });

  test('a sent draft: null, nothing changed in Sent Items', async () => {
    const ref = await mailbox.createDraft(draft('chat-3'));
    const sent = sandbox.microsoft.sendDraft(EMAIL, ref.draftId);
    calls.length = 0;
    expect(await mailbox.updateDraftIfUnchanged!(ref.draftId, ref.version, moved('chat-3'))).toBeNull();
    expect(graphCalls()).toEqual(['PATCH /me/messages/{id}']);
    expect(sandbox.microsoft.drafts(EMAIL)).toEqual([]);
    expect(sandbox.microsoft.messages(EMAIL, 'sentitems')).toEqual([
      expect.objectContaining({ id: sent.id, subject: 'Coffee on Tuesday?', changeKey: sent.changeKey }),
    ]);
  });

  test('a sent message under the same id (not a draft any more): null, and it is not changed', async () => {
    // With immutable ids a sent draft keeps its id; the sandbox gives the copy a new one, so make
    // the case by aiming at the sent copy itself with its current changeKey.
    const ref = await mailbox.createDraft(draft('chat-4'));
    const sent = sandbox.microsoft.sendDraft(EMAIL, ref.draftId);
    expect(await mailbox.updateDraftIfUnchanged!(sent.id, sent.changeKey, moved('chat-4'))).toBeNull();
    expect(sandbox.microsoft.messages(EMAIL, 'sentitems')[0]).toMatchObject({
      subject: 'Coffee on Tuesday?',
      changeKey: sent.changeKey,
    });
  });

  test('a deleted draft: null', async () => {
    const ref = await mailbox.createDraft(draft('chat-5'));
    sandbox.microsoft.deleteDraft(EMAIL, ref.draftId);
    calls.length = 0;
    expect(await mailbox.updateDraftIfUnchanged!(ref.draftId, ref.version, moved('chat-5'))).toBeNull();
    expect(graphCalls()).toEqual(['PATCH /me/messages/{id}']);
    expect(sandbox.microsoft.drafts(EMAIL)).toEqual([]);
  });

  test('other failures still throw ProviderError (revoked account)', async () => {
    const ref = await mailbox.createDraft(draft('chat-6'));
    sandbox.microsoft.revoke(EMAIL);
    await expect(
      mailbox.updateDraftIfUnchanged!(ref.draftId, ref.version, moved('chat-6')),
    ).rejects.toMatchObject({ name: 'ProviderError', kind: 'auth_revoked' });
  });

  test('the etag form sent is W/"<changeKey>" (bare, quoted and weak versions all end up the same)', () => {
    expect(weakEtag('CQAAABYAAAC4ofQH/0tB')).toBe('W/"CQAAABYAAAC4ofQH/0tB"');
    expect(weakEtag('"CQAAABYAAAC4ofQH/0tB"')).toBe('W/"CQAAABYAAAC4ofQH/0tB"');
    expect(weakEtag('W/"CQAAABYAAAC4ofQH/0tB"')).toBe('W/"CQAAABYAAAC4ofQH/0tB"');
  });
});
