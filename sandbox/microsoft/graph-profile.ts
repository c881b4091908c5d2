// Graph v1.0 profile routes of the sandbox: /me and /me/mailboxSettings.
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { account } from './graph-request.ts';

export function registerProfileRoutes(app: FastifyInstance, ctx: SandboxContext) {
  const base = '/v1.0';
  const ctxUrl = (p: string) => `${ctx.httpsUrl()}${base}${p}`;

  // ---- profile ---------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-get: "By default, only a limited set of
  // properties are returned (businessPhones, displayName, givenName, id, jobTitle, mail,
  // mobilePhone, officeLocation, preferredLanguage, surname, userPrincipalName)"; any other property
  // (proxyAddresses among them) only with $select, which then returns just what was selected.
  // proxyAddresses (https://learn.microsoft.com/en-us/graph/api/resources/user): "SMTP:" marks the
  // primary address, "smtp:" the aliases; every one of them delivers to this mailbox.
  app.get(`${base}/me`, async (req) => {
    const acc = account(req);
    const all: Record<string, unknown> = {
      businessPhones: [],
      displayName: acc.name,
      givenName: acc.name.split(' ')[0] ?? null,
      jobTitle: null,
      mail: acc.email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-US',
      surname: acc.name.split(' ').slice(1).join(' ') || null,
      userPrincipalName: acc.email,
      id: acc.userId,
      proxyAddresses: [`SMTP:${acc.email}`, ...acc.aliases.map((a) => `smtp:${a}`)],
    };
    const select = (req.query as { $select?: string }).$select;
    const keys = select
      ? select.split(',').map((k) => k.trim())
      : Object.keys(all).filter((k) => k !== 'proxyAddresses');
    const out: Record<string, unknown> = { '@odata.context': ctxUrl('/$metadata#users/$entity') };
    for (const k of keys) {
      const key = Object.keys(all).find((x) => x.toLowerCase() === k.toLowerCase());
      if (key) out[key] = all[key];
    }
    return out;
  });

  // https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings (timeZone is a Windows name by default)
  app.get(`${base}/me/mailboxSettings`, async (req) => {
    const acc = account(req);
    return {
      '@odata.context': ctxUrl(`/$metadata#users('${acc.userId}')/mailboxSettings`),
      archiveFolder: acc.folderIds.inbox,
      timeZone: acc.windowsTimeZone,
      delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
      dateFormat: 'yyyy-MM-dd',
      timeFormat: 'HH:mm',
      userPurpose: 'user',
      language: { locale: 'en-US', displayName: 'English (United States)' },
      workingHours: {
        daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
        startTime: '08:00:00.0000000',
        endTime: '17:00:00.0000000',
        timeZone: { name: acc.windowsTimeZone },
      },
    };
  });
}
