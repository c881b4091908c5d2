// The webhook routes' own checks, without a server: when the webhook listener runs, how tokens
// compare, and where a provider is told to post.
import { parseConfig } from '../../worker/config.ts';
import { sameToken } from '../../worker/web/webhooks.ts';
import { webhookListen } from '../../worker/web/webhook-server.ts';
import { newChannelToken, webhookAddress } from '../../worker/core/push-channels.ts';

describe('webhook token checks', () => {
  it('the webhook listener runs only with PUBLIC_WEBHOOK_URL or a port, on loopback unless told otherwise', () => {
    expect(webhookListen(parseConfig({}))).toBeUndefined();
    expect(webhookListen(parseConfig({ PUBLIC_WEBHOOK_URL: 'https://cc.example.com' }))).toEqual({
      port: 8081,
      host: '127.0.0.1',
    });
    expect(webhookListen(parseConfig({ WEBHOOK_PORT: '9090' }))).toEqual({ port: 9090, host: '127.0.0.1' });
    expect(webhookListen(parseConfig({ WEBHOOK_PORT: '9090', WEBHOOK_HOST: '0.0.0.0' }), 7070)).toEqual({
      port: 7070,
      host: '0.0.0.0',
    });
    expect(webhookListen(parseConfig({}), 0)).toEqual({ port: 0, host: '127.0.0.1' });
    expect(() => parseConfig({ WEBHOOK_PORT: 'eighty' })).toThrow(/^WEBHOOK_PORT must be a port number/);
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
    expect(webhookAddress('https://cc.example.com/', 'microsoft')).toBe(
      'https://cc.example.com/hooks/microsoft',
    );
    expect(webhookAddress('https://example.com/coffee/', 'google')).toBe(
      'https://example.com/coffee/hooks/google',
    );
  });
});
