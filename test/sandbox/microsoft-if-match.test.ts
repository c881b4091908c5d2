// Contract: conditional PATCH on Outlook items, seen through the real @microsoft/microsoft-graph-client.
// - Items carry @odata.etag W/"<changeKey>" (https://learn.microsoft.com/en-us/graph/api/message-get, example responses).
// - A precondition (If-Match) that does not match the current state: 412 Precondition Failed
//   (https://learn.microsoft.com/en-us/graph/errors), code ErrorIrresolvableConflict as Exchange
//   answers a stale change key (https://github.com/mguessan/davmail/issues/491,
//   https://github.com/microsoftgraph/msgraph-sdk-dotnet/issues/1201).
import { graphErrorOf, microsoftFixture } from './microsoft-helpers.ts';

const MARKER_ID = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name coffeeChatKey';
const STALE_TEXT =
  'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.';

describe('microsoft graph sandbox: If-Match on PATCH (real @microsoft/microsoft-graph-client)', () => {
  let fx: Awaited<ReturnType<typeof microsoftFixture>>;
  beforeEach(async () => {
    fx = await microsoftFixture();
  });
  afterEach(async () => {
    await fx.sandbox.close();
  });

  async function newDraft() {
    const { graph } = fx.client();
    const draft = await graph.api('/me/messages').post({
      subject: 'Coffee on Tuesday?',
      body: { contentType: 'html', content: '<p>See you Tuesday.</p>' },
      toRecipients: [{ emailAddress: { address: 'grace@example.org' } }],
      singleValueExtendedProperties: [{ id: MARKER_ID, value: 'chat-9' }],
    });
    return { graph, draft };
  }

  test('a message carries @odata.etag W/"<changeKey>"', async () => {
    const { graph, draft } = await newDraft();
    expect(draft['@odata.etag']).toBe(`W/"${draft.changeKey}"`);
    const got = await graph.api(`/me/messages/${draft.id}`).select('id,changeKey').get();
    expect(got['@odata.etag']).toBe(`W/"${got.changeKey}"`);
  });

  test('PATCH with the current etag (weak or bare) succeeds and renews the changeKey', async () => {
    const { graph, draft } = await newDraft();
    const a = await graph
      .api(`/me/messages/${draft.id}`)
      .header('If-Match', draft['@odata.etag'])
      .patch({ subject: 'Coffee on Wednesday?' });
    expect(a.changeKey).not.toBe(draft.changeKey);
    expect(a['@odata.etag']).toBe(`W/"${a.changeKey}"`);
    const b = await graph
      .api(`/me/messages/${draft.id}`)
      .header('If-Match', a.changeKey)
      .patch({ subject: 'Coffee on Thursday?' });
    expect(b.subject).toBe('Coffee on Thursday?');
    const c = await graph
      .api(`/me/messages/${draft.id}`)
      .header('If-Match', '*')
      .patch({ subject: 'Coffee on Friday?' });
    expect(c.subject).toBe('Coffee on Friday?');
  });

  test('PATCH with a stale If-Match gets 412 ErrorIrresolvableConflict in the Graph error shape; the message is unchanged', async () => {
    const { graph, draft } = await newDraft();
    fx.sandbox.microsoft.editDraft(fx.email, draft.id, { html: '<p>Ada edited this.</p>' });
    const edited = fx.sandbox.microsoft.drafts(fx.email)[0]!;

    const err = await graphErrorOf(
      graph
        .api(`/me/messages/${draft.id}`)
        .header('If-Match', draft['@odata.etag'])
        .patch({ subject: 'Coffee on Wednesday?' }),
    );
    expect(err.statusCode).toBe(412);
    expect(err.code).toBe('ErrorIrresolvableConflict');
    expect(err.message).toBe(STALE_TEXT);
    expect(err.body).toEqual(expect.stringContaining('"innerError"'));
    expect(fx.sandbox.microsoft.drafts(fx.email)[0]).toMatchObject({
      subject: 'Coffee on Tuesday?',
      html: '<p>Ada edited this.</p>',
      changeKey: edited.changeKey,
    });

    // The bare stale changeKey is refused the same way.
    expect(
      (
        await graphErrorOf(
          graph.api(`/me/messages/${draft.id}`).header('If-Match', draft.changeKey).patch({ subject: 'x' }),
        )
      ).statusCode,
    ).toBe(412);
  });

  test('a missing message stays 404 ErrorItemNotFound with or without If-Match', async () => {
    const { graph, draft } = await newDraft();
    await graph.api(`/me/messages/${draft.id}`).delete();
    const err = await graphErrorOf(
      graph.api(`/me/messages/${draft.id}`).header('If-Match', draft['@odata.etag']).patch({ subject: 'x' }),
    );
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe('ErrorItemNotFound');
  });

  test('events honour If-Match too', async () => {
    const { graph } = fx.client();
    const ev = await graph.api('/me/events').post({
      subject: 'Prep: coffee with Grace',
      start: { dateTime: '2030-01-10T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2030-01-10T09:30:00', timeZone: 'UTC' },
    });
    expect(ev['@odata.etag']).toBe(`W/"${ev.changeKey}"`);
    const moved = await graph
      .api(`/me/events/${ev.id}`)
      .header('If-Match', ev['@odata.etag'])
      .patch({ subject: 'Prep (moved)' });
    const err = await graphErrorOf(
      graph
        .api(`/me/events/${ev.id}`)
        .header('If-Match', ev['@odata.etag'])
        .patch({ subject: 'Prep (stale)' }),
    );
    expect(err.statusCode).toBe(412);
    expect(err.code).toBe('ErrorIrresolvableConflict');
    expect((await graph.api(`/me/events/${ev.id}`).get()).subject).toBe(moved.subject);
  });

  test('a tenant set to answer 409 gives ErrorIrresolvableConflict with 409, the item unchanged', async () => {
    fx.sandbox.microsoft.setErrorStatuses({ ifMatchConflictStatus: 409 });
    const { graph, draft } = await newDraft();
    await graph.api(`/me/messages/${draft.id}`).patch({ subject: 'edited by the user' });
    const err = await graphErrorOf(
      graph
        .api(`/me/messages/${draft.id}`)
        .header('If-Match', draft['@odata.etag'])
        .patch({ subject: 'ours' }),
    );
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe('ErrorIrresolvableConflict');
    expect(err.message).toBe(STALE_TEXT);
    expect((await graph.api(`/me/messages/${draft.id}`).get()).subject).toBe('edited by the user');
  });
});
