// Graph v1.0 profile routes of the sandbox: /me and /me/mailboxSettings.
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { account } from './graph-request.ts';

export function registerProfileRoutes(app: FastifyInstance, ctx: SandboxContext) {
  const base = '/v1.0';
  const ctxUrl = (p: string) => `${ctx.httpsUrl()}${base}${p}`;

  // ---- profile ---------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-get
  app.get(`${base}/me`, async (req) => {
    const acc = account(req);
    return {
      '@odata.context': ctxUrl('/$metadata#users/$entity'),
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
    };
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
