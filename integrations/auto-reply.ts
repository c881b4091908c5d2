// Is a message an automatic answer (out of office, a vacation responder, a list or bulk sender)
// rather than the person writing back? Shared by both providers' mailbox readers.
//
// - RFC 3834 §5: responders set `Auto-Submitted: auto-replied` (or `auto-generated`); "no" or
//   absent means a person sent it (https://www.rfc-editor.org/rfc/rfc3834#section-5). Gmail's
//   vacation responder and Exchange's Automatic Replies both set it.
// - `Precedence: auto_reply | bulk | junk | list` and `X-Autoreply` / `X-Autorespond`: older
//   responders (RFC 3834 §3.1.8 recommends ignoring mail with these).
// - Exchange writes its automatic replies with the subject "Automatic reply: …" (English
//   mailboxes); Graph's message list does not return the MIME headers unless asked per message, so
//   the subject is what Graph gives cheaply. Rests on observed mail, not a reference page.

const AUTO_SUBJECT = /^\s*(automatic reply|auto(matic)?[- ]?response|out of (the )?office)\s*:/i;

export function isAutomaticReply(h: {
  autoSubmitted?: string | null;
  precedence?: string | null;
  xAutoreply?: string | null;
  xAutorespond?: string | null;
  subject?: string | null;
}): boolean {
  const auto = h.autoSubmitted?.trim().toLowerCase();
  if (auto && auto !== 'no') return true;
  if (/^(auto_reply|bulk|junk|list)$/i.test(h.precedence?.trim() ?? '')) return true;
  if (h.xAutoreply?.trim() || h.xAutorespond?.trim()) return true;
  return AUTO_SUBJECT.test(h.subject ?? '');
}
