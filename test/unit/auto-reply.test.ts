// An out-of-office or vacation answer is not the person writing back (RFC 3834 and the headers
// older responders use; Exchange's English subject where Graph gives no headers).
import { isAutomaticReply } from '../../integrations/auto-reply.ts';

describe('an automatic answer', () => {
  it('is recognised by Auto-Submitted other than "no", by Precedence and by X-Autoreply', () => {
    expect(isAutomaticReply({ autoSubmitted: 'auto-replied' })).toBe(true);
    expect(isAutomaticReply({ autoSubmitted: 'auto-generated' })).toBe(true);
    expect(isAutomaticReply({ precedence: 'bulk' })).toBe(true);
    expect(isAutomaticReply({ precedence: 'auto_reply' })).toBe(true);
    expect(isAutomaticReply({ xAutoreply: 'yes' })).toBe(true);
    expect(isAutomaticReply({ subject: 'Automatic reply: Could I ask your advice?' })).toBe(true);
    expect(isAutomaticReply({ subject: 'Out of Office: Coffee?' })).toBe(true);
  });

  it('is not a person answering, even one who mentions being out of office', () => {
    expect(isAutomaticReply({ autoSubmitted: 'no', subject: 'Re: Could I ask your advice?' })).toBe(false);
    expect(isAutomaticReply({ subject: 'Re: back from my out of office, happy to talk' })).toBe(false);
    expect(isAutomaticReply({})).toBe(false);
  });
});
