// Graph JSON for stored events and messages.
// Event: https://learn.microsoft.com/en-us/graph/api/resources/event
// Message: https://learn.microsoft.com/en-us/graph/api/resources/message
import { DateTime } from 'luxon';
import {
  bodyText,
  type Account,
  type ExtendedProperty,
  type GraphResponse,
  type Instance,
  isOwnAddress,
  type StoredEvent,
  type StoredMessage,
} from './store.ts';
import { ianaFor, isoUtc, renderDateTime } from './time.ts';

export interface RenderOptions {
  /** Zone from `Prefer: outlook.timezone` (Windows or IANA name); UTC by default. */
  timeZone: string;
  /**
   * `Prefer: outlook.body-content-type="text"|"html"`: bodies converted on the way out
   * (https://learn.microsoft.com/en-us/graph/api/event-get#request-headers).
   */
  bodyType?: 'text' | 'html';
  /** $select: property names to keep (id and @odata.etag always stay). */
  select?: string[];
  /** $expand=singleValueExtendedProperties($filter=id eq '...'): the ids to include. */
  expandProps?: ((p: ExtendedProperty) => boolean) | null;
  baseUrl: string;
}

function pick(obj: Record<string, unknown>, select?: string[]): Record<string, unknown> {
  if (!select?.length) return obj;
  const keep = new Set(select.map((s) => s.toLowerCase()));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (
      k === 'id' ||
      k === '@odata.etag' ||
      k === 'singleValueExtendedProperties' ||
      keep.has(k.toLowerCase())
    )
      out[k] = v;
  }
  return out;
}

function bodyAs(body: { contentType: 'text' | 'html'; content: string }, want: 'text' | 'html' | undefined) {
  if (!want || want === body.contentType) return body;
  if (want === 'text') return { contentType: 'text', content: bodyText(body) };
  const escaped = body.content
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '<br>');
  return { contentType: 'html', content: `<html><body>${escaped}</body></html>` };
}

function preview(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}

function ownResponse(acc: Account, ev: StoredEvent): { response: GraphResponse; time: string } {
  // The mailbox answers for every one of its addresses: an invitation sent to an alias is the
  // user's own (https://learn.microsoft.com/en-us/graph/api/resources/user, proxyAddresses).
  if (isOwnAddress(acc, ev.organizer.address)) return { response: 'organizer', time: '0001-01-01T00:00:00Z' };
  const me = ev.attendees.find((a) => isOwnAddress(acc, a.emailAddress.address));
  return me
    ? { response: me.status.response, time: me.status.time }
    : { response: 'none', time: '0001-01-01T00:00:00Z' };
}

function eventTime(ms: number, ev: StoredEvent, which: 'start' | 'end', opts: RenderOptions) {
  if (ev.isAllDay) {
    // All-day events are midnight-to-midnight in their own zone and are not shifted by
    // Prefer: outlook.timezone (https://learn.microsoft.com/en-us/graph/api/resources/event, isAllDay).
    const zoneName = which === 'start' ? ev.originalStartTimeZone : ev.originalEndTimeZone;
    const local = DateTime.fromMillis(ms, { zone: ianaFor(zoneName) ?? 'UTC' });
    return { dateTime: `${local.toISODate()}T00:00:00.0000000`, timeZone: zoneName };
  }
  return renderDateTime(ms, opts.timeZone);
}

export function renderEvent(acc: Account, inst: Instance, opts: RenderOptions): Record<string, unknown> {
  const series = inst.event;
  const isOcc = inst.type === 'occurrence' || inst.type === 'exception';
  // An exception is its series with its own changes (cancelled, or answered on its own).
  const exc = inst.type === 'exception' ? series.exceptions?.get(inst.id) : undefined;
  const ev: StoredEvent = exc
    ? {
        ...series,
        changeKey: exc.changeKey,
        modifiedMs: exc.modifiedMs,
        isCancelled: exc.isCancelled ?? series.isCancelled,
        attendees: exc.response
          ? series.attendees.map((a) =>
              isOwnAddress(acc, a.emailAddress.address)
                ? { ...a, status: { response: exc.response!, time: isoUtc(exc.modifiedMs) } }
                : a,
            )
          : series.attendees,
      }
    : series;
  const out: Record<string, unknown> = {
    '@odata.etag': `W/"${ev.changeKey}"`,
    id: inst.id,
    createdDateTime: isoUtc(ev.createdMs),
    lastModifiedDateTime: isoUtc(ev.modifiedMs),
    changeKey: ev.changeKey,
    categories: [],
    transactionId: isOcc ? null : ev.transactionId,
    originalStartTimeZone: ev.originalStartTimeZone,
    originalEndTimeZone: ev.originalEndTimeZone,
    iCalUId: ev.iCalUId,
    reminderMinutesBeforeStart: 15,
    isReminderOn: true,
    hasAttachments: false,
    subject: ev.subject,
    bodyPreview: preview(bodyText(ev.body)),
    importance: 'normal',
    sensitivity: 'normal',
    isAllDay: ev.isAllDay,
    isCancelled: ev.isCancelled,
    isOrganizer: isOwnAddress(acc, ev.organizer.address),
    responseRequested: true,
    // Occurrences point at their series; the pattern lives on the master only
    // (https://learn.microsoft.com/en-us/graph/api/resources/event: seriesMasterId, recurrence, type).
    seriesMasterId: isOcc ? ev.id : null,
    showAs: ev.showAs,
    type: inst.type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(inst.id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: ev.isOnlineMeeting,
    onlineMeetingProvider: ev.isOnlineMeeting ? 'teamsForBusiness' : 'unknown',
    allowNewTimeProposals: true,
    isDraft: false,
    hideAttendees: false,
    responseStatus: ownResponse(acc, ev),
    body: bodyAs(ev.body, opts.bodyType),
    start: eventTime(inst.startMs, ev, 'start', opts),
    end: eventTime(inst.endMs, ev, 'end', opts),
    location: {
      displayName: ev.location,
      locationType: 'default',
      uniqueIdType: 'unknown',
      address: {},
      coordinates: {},
    },
    locations: ev.location
      ? [{ displayName: ev.location, locationType: 'default', uniqueIdType: 'unknown' }]
      : [],
    recurrence: inst.type === 'seriesMaster' ? ev.recurrence : null,
    attendees: ev.attendees,
    organizer: { emailAddress: ev.organizer },
    onlineMeeting: ev.isOnlineMeeting && ev.joinUrl ? { joinUrl: ev.joinUrl } : null,
  };
  if (opts.expandProps) {
    const props = ev.extendedProperties.filter(opts.expandProps);
    if (props.length) out.singleValueExtendedProperties = props;
  }
  return pick(out, opts.select);
}

export function renderMessage(acc: Account, m: StoredMessage, opts: RenderOptions): Record<string, unknown> {
  const recipient = (e: { name?: string; address: string }) => ({
    emailAddress: { name: e.name ?? e.address, address: e.address },
  });
  const out: Record<string, unknown> = {
    '@odata.etag': `W/"${m.changeKey}"`,
    id: m.id,
    createdDateTime: isoUtc(m.createdMs).replace(/\.\d+Z$/, 'Z'),
    lastModifiedDateTime: isoUtc(m.modifiedMs).replace(/\.\d+Z$/, 'Z'),
    changeKey: m.changeKey,
    categories: [],
    receivedDateTime: isoUtc(m.receivedMs).replace(/\.\d+Z$/, 'Z'),
    sentDateTime: m.sentMs === null ? null : isoUtc(m.sentMs).replace(/\.\d+Z$/, 'Z'),
    hasAttachments: false,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    bodyPreview: preview(bodyText(m.body)),
    importance: 'normal',
    parentFolderId: acc.folderIds[m.folder],
    conversationId: m.conversationId,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: m.isRead,
    isDraft: m.isDraft,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: 'focused',
    body: bodyAs(m.body, opts.bodyType),
    sender: m.from ? recipient(m.from) : null,
    from: m.from ? recipient(m.from) : null,
    toRecipients: m.toRecipients.map(recipient),
    ccRecipients: m.ccRecipients.map(recipient),
    bccRecipients: m.bccRecipients.map(recipient),
    replyTo: [],
    flag: { flagStatus: 'notFlagged' },
  };
  if (opts.expandProps) {
    const props = m.extendedProperties.filter(opts.expandProps);
    if (props.length) out.singleValueExtendedProperties = props;
  }
  return pick(out, opts.select);
}
