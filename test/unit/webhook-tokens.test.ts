// The webhook routes' own checks, without a server: which requests skip the review page's guard,
// how tokens compare, and where a provider is told to post.
import { isWebhookRequest, sameToken } from '../../worker/web/webhooks.ts';
import { newChannelToken, webhookAddress } from '../../worker/core/push-channels.ts';

describe('webhook token checks', () => {
  it('only provider POSTs to /hooks/google and /hooks/microsoft skip the review page guard', () => {
    expect(isWebhookRequest({ method: 'POST', url: '/hooks/google' })).toBe(true);
    expect(isWebhookRequest({ method: 'POST', url: '/hooks/microsoft?validationToken=abc' })).toBe(true);
    expect(isWebhookRequest({ method: 'POST', url: '/hooks/google/' })).toBe(true);
    expect(isWebhookRequest({ method: 'GET', url: '/hooks/google' })).toBe(false);
    expect(isWebhookRequest({ method: 'POST', url: '/hooks/googlex' })).toBe(false);
    expect(isWebhookRequest({ method: 'POST', url: '/hooks/google/../../chats/1/exclude' })).toBe(false);
    expect(isWebhookRequest({ method: 'POST', url: '/chats/1/exclude?x=/hooks/google' })).toBe(false);
  });

  it('a token matches only itself, and a missing one never matches', () => {
    const t = newChannelToken();
    expect(sameToken(t, t)).toBe(true);
    expect(sameToken(`${t}x`, t)).toBe(false);
    expect(sameToken(t.slice(0, -1), t)).toBe(false);
    expect(sameToken('', t)).toBe(false);
    expect(sameToken(undefined, t)).toBe(false);
    expect(sameToken(t, null)).toBe(false);
    expect(sameToken('', '')).toBe(false);
  });

  it('channel tokens are fresh and fit Graph clientState (128 chars)', () => {
    const a = newChannelToken();
    expect(a).not.toBe(newChannelToken());
    expect(a.length).toBeLessThanOrEqual(128);
    expect(a.length).toBeGreaterThanOrEqual(40);
  });

  it('the address is PUBLIC_WEBHOOK_URL plus /hooks/<provider>, with or without a base path', () => {
    expect(webhookAddress('https://cc.example.com', 'google')).toBe('https://cc.example.com/hooks/google');
    expect(webhookAddress('https://cc.example.com/', 'microsoft')).toBe('https://cc.example.com/hooks/microsoft');
    expect(webhookAddress('https://example.com/coffee/', 'google')).toBe('https://example.com/coffee/hooks/google');
  });
});
