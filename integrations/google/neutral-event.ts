// Google Calendar event resource → NeutralEvent.
// Event fields: https://developers.google.com/calendar/api/v3/reference/events#resource
import type { calendar_v3 } from '@googleapis/calendar';
import { DateTime } from 'luxon';
import type { EventTime, NeutralAttendee, NeutralEvent, ResponseStatus } from '../provider.ts';
import { htmlToText } from '../html-text.ts';

const RESPONSES: Record<string, ResponseStatus> = {
  accepted: 'accepted',
  declined: 'declined',
  tentative: 'tentative',
  needsAction: 'needsAction',
};

export function toEventTime(t: calendar_v3.Schema$EventDateTime | undefined): EventTime {
  if (t?.date) return { kind: 'allDay', date: t.date };
  const dt = DateTime.fromISO(t?.dateTime ?? '', { setZone: true });
  return { kind: 'timed', utc: dt.toUTC().toISO() ?? '', timeZone: t?.timeZone ?? null };
}

export function rruleFrequency(recurrence: string[] | null | undefined): string | undefined {
  for (const line of recurrence ?? []) {
    const m = /^RRULE:.*?\bFREQ=([A-Z]+)/i.exec(line);
    if (m) return m[1]!.toUpperCase();
  }
  return undefined;
}

export function conferenceUrl(ev: calendar_v3.Schema$Event): string | undefined {
  if (ev.hangoutLink) return ev.hangoutLink;
  return ev.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video')?.uri ?? undefined;
}

export function toNeutralEvent(
  ev: calendar_v3.Schema$Event,
  calendarId: string,
  recurrenceFrequency?: string,
): NeutralEvent {
  const attendees: NeutralAttendee[] = (ev.attendees ?? [])
    .filter((a) => a.email)
    .map((a) => ({
      email: a.email!.toLowerCase(),
      ...(a.displayName ? { name: a.displayName } : {}),
      self: !!a.self,
      organizer: !!a.organizer,
      resource: !!a.resource,
      ...(a.optional ? { optional: true } : {}),
      response: RESPONSES[a.responseStatus ?? ''] ?? 'unknown',
    }));
  const status = ev.status === 'cancelled' || ev.status === 'tentative' ? ev.status : 'confirmed';
  const out: NeutralEvent = {
    providerEventId: ev.id ?? '',
    calendarId,
    status,
    title: ev.summary ?? '',
    description: htmlToText(ev.description ?? ''),
    start: toEventTime(ev.start),
    end: toEventTime(ev.end),
    attendees,
    markers: { ...(ev.extendedProperties?.private ?? {}) },
  };
  if (ev.iCalUID) out.iCalUid = ev.iCalUID;
  if (ev.organizer?.email) {
    out.organizer = {
      email: ev.organizer.email.toLowerCase(),
      self: !!ev.organizer.self,
      ...(ev.organizer.displayName ? { name: ev.organizer.displayName } : {}),
    };
  }
  if (ev.recurringEventId) out.recurringEventId = ev.recurringEventId;
  const freq = recurrenceFrequency ?? rruleFrequency(ev.recurrence);
  if (freq) out.recurrenceFrequency = freq;
  const conf = conferenceUrl(ev);
  if (conf) out.conferenceUrl = conf;
  if (ev.location) out.location = ev.location;
  if (ev.updated) out.updatedAt = ev.updated;
  if (ev.htmlLink) out.webLink = ev.htmlLink;
  return out;
}
