// The page shell shared by every HTML response.
import { html, raw, type SafeHtml } from './html.ts';
import { STYLES } from './styles.ts';

export function layout(opts: { title: string; body: SafeHtml; nav?: SafeHtml; subtitle?: string }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${opts.title}</title>
<style>${raw(STYLES)}</style>
</head>
<body>
<header class="top"><div class="inner">
<h1><span>&#9749;</span> coffee-chat</h1>
<p>${opts.subtitle ?? 'What the worker is doing for you. Every email stays a draft in your mailbox until you send it.'}</p>
${opts.nav ?? ''}
</div></header>
<main>
${opts.body}
</main>
</body>
</html>`.value;
}

export function unauthorizedPage(): string {
  return layout({
    title: 'coffee-chat: sign in',
    subtitle: 'This review page is protected by WEB_AUTH_TOKEN.',
    body: html`<section><h2>Token required</h2>
<p class="hint">Open this page once with <code>?token=&lt;WEB_AUTH_TOKEN&gt;</code> appended to the address (a cookie keeps you signed in),
or send <code>Authorization: Bearer &lt;WEB_AUTH_TOKEN&gt;</code>.</p></section>`,
  });
}
