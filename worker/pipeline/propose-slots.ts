// Which times to offer a contact for a chat: a few short slots from the user's free time, inside
// working hours on both sides, spread over different days. Pure: the caller passes now, both zones
// and the user's busy time (CalendarProvider.freeBusy); every conversion goes through luxon's IANA
// data, so a slot is always a real instant on both clocks.
import { IANAZone } from 'luxon';
import { formatForContact, isValidZone, safeZone } from './time-zones.ts';

export interface BusyLike {
  start: Date;
  end: Date;
  /** 'workingElsewhere' leaves the user free (Graph's availabilityView counts it as free, 0). */
  status?: 'busy' | 'tentative' | 'oof' | 'workingElsewhere';
}

/** Working hours on a wall clock: minutes after midnight, end exclusive. */
export interface DayHours {
  start: number;
  end: number;
}

export interface SlotPolicy {
  /** Length of each slot (a coffee chat: 15–30 minutes). */
  minutes: number;
  /** How many slots to offer. */
  count: number;
  /** The earliest slot starts this long after now: the contact needs time to read and answer. */
  leadMinutes: number;
  /** How far ahead to look (stays under both providers' free/busy limits: Graph 62 days, Google 90). */
  horizonDays: number;
  /** Working days (luxon weekday numbers, Monday 1 … Sunday 7), the same on both sides. */
  workdays: number[];
  /** The contact's working hours: never stretched (they are doing the favour). */
  contactHours: DayHours;
  /** The user's own working hours, tried first. */
  userHours: DayHours;
  /**
   * When too few slots fit both sides' working hours (zones far apart), the user's side stretches
   * to these hours; the contact's never does.
   */
  userStretchHours: DayHours;
  /** Slots start on this grid of the user's clock (minutes past the hour). */
  gridMinutes: number;
}

export const DEFAULT_SLOT_POLICY: SlotPolicy = {
  // What the outreach asked for ("15–20 minutes"): offering more than was asked reads as presumptuous.
  minutes: 20,
  count: 3,
  leadMinutes: 24 * 60,
  horizonDays: 14,
  workdays: [1, 2, 3, 4, 5],
  contactHours: { start: 9 * 60, end: 17 * 60 + 30 },
  userHours: { start: 9 * 60, end: 17 * 60 + 30 },
  userStretchHours: { start: 6 * 60, end: 23 * 60 },
  gridMinutes: 30,
};

export interface ProposedSlot {
  start: Date;
  end: Date;
}

export interface ProposeInput {
  now: Date;
  userZone: string;
  /** null when unknown: only the user's side is checked (the draft asks for their zone). */
  contactZone: string | null;
  busy: BusyLike[];
  policy?: Partial<SlotPolicy>;
}

const MINUTE = 60_000;

/** The slots to offer, in time order; fewer than `count` (even none) when the calendar is full. */
export function proposeSlots(input: ProposeInput): ProposedSlot[] {
  const p = { ...DEFAULT_SLOT_POLICY, ...input.policy };
  if (p.minutes < 5 || p.minutes > 60) throw new Error('a slot is 5 to 60 minutes');
  const userZone = safeZone(input.userZone);
  const contactZone = isValidZone(input.contactZone) ? input.contactZone.trim() : null;
  const blocking = input.busy
    .filter((b) => b.status !== 'workingElsewhere')
    .map((b) => ({ s: b.start.getTime(), e: b.end.getTime() }));

  const strict = candidates(input.now, p, userZone, contactZone, blocking, p.userHours);
  let chosen = pick(strict, p);
  if (chosen.length < p.count && contactZone) {
    const stretched = candidates(input.now, p, userZone, contactZone, blocking, p.userStretchHours);
    chosen = pick(stretched, p, chosen);
  }
  return chosen
    .map((c) => c.t)
    .sort((a, b) => a - b)
    .map((t) => ({ start: new Date(t), end: new Date(t + p.minutes * MINUTE) }));
}

/** A candidate start and where it sits on the user's calendar. */
interface Candidate {
  t: number;
  day: string;
  minutes: number;
}

/**
 * A zone's UTC offset at an instant (luxon's IANA data), asked once per 6 hours of the horizon:
 * offsets change at most twice a year, so two equal readings 6 hours apart hold for every instant
 * between them; only around a change is each instant asked. (Asking each instant made a proposal
 * take 100+ ms.)
 */
class Offsets {
  private readonly marks = new Map<number, number>();
  constructor(readonly zone: IANAZone) {}
  private at(mark: number): number {
    let o = this.marks.get(mark);
    if (o === undefined) {
      o = this.zone.offset(mark);
      this.marks.set(mark, o);
    }
    return o;
  }
  offset(t: number): number {
    const step = 6 * 60 * MINUTE;
    const lo = Math.floor(t / step) * step;
    const a = this.at(lo);
    return a === this.at(lo + step) ? a : this.zone.offset(t);
  }
}

/** Wall-clock facts of an instant in a zone, from the zone's offset alone. */
function local(t: number, zone: Offsets) {
  const offset = zone.offset(t);
  const w = new Date(t + offset * MINUTE);
  return {
    offset,
    // luxon numbering: Monday 1 … Sunday 7
    weekday: w.getUTCDay() || 7,
    minutes: w.getUTCHours() * 60 + w.getUTCMinutes(),
    day: () => w.toISOString().slice(0, 10),
  };
}

/** Every start that fits: on the grid, inside hours on both sides, clear of busy time. */
function candidates(
  now: Date,
  p: SlotPolicy,
  userZone: string,
  contactZone: string | null,
  blocking: { s: number; e: number }[],
  userHours: DayHours,
): Candidate[] {
  const len = p.minutes * MINUTE;
  const first = now.getTime() + p.leadMinutes * MINUTE;
  const last = now.getTime() + p.horizonDays * 24 * 60 * MINUTE;
  const user = new Offsets(IANAZone.create(userZone));
  const contact = contactZone ? new Offsets(IANAZone.create(contactZone)) : null;
  // Real instants on a 15-minute UTC grid (every zone's offset is a multiple of 15 minutes), kept
  // where the user's clock shows the grid: a wall time a DST gap skips is never produced.
  const out: Candidate[] = [];
  for (let t = Math.ceil(first / (15 * MINUTE)) * 15 * MINUTE; t + len <= last; t += 15 * MINUTE) {
    const u = local(t, user);
    if (u.minutes % p.gridMinutes !== 0) continue;
    if (!fits(t, len, user, userHours, p.workdays)) continue;
    if (blocking.some((b) => b.s < t + len && b.e > t)) continue;
    if (contact && !fits(t, len, contact, p.contactHours, p.workdays)) continue;
    out.push({ t, day: u.day(), minutes: u.minutes });
  }
  return out;
}

/** Inside working hours on a working day of `zone`, on one day, and not across an offset change. */
function fits(t: number, len: number, zone: Offsets, hours: DayHours, workdays: number[]): boolean {
  const a = local(t, zone);
  // A DST change inside the slot makes its two ends read oddly (1:30–3:00 for half an hour).
  if (a.offset !== zone.offset(t + len)) return false;
  if (!workdays.includes(a.weekday)) return false;
  return a.minutes >= hours.start && a.minutes + len / MINUTE <= hours.end;
}

/**
 * Spread: one slot per day of the user's calendar, earliest days first, alternating a morning and
 * an afternoon so a contact with a fixed routine finds one that suits; days already used only when
 * there are too few days, and then at least two hours from what is already offered.
 */
function pick(cands: Candidate[], p: SlotPolicy, already: Candidate[] = []): Candidate[] {
  const chosen = [...already];
  const byDay = new Map<string, Candidate[]>();
  for (const c of cands) byDay.set(c.day, [...(byDay.get(c.day) ?? []), c]);
  const targets = [10 * 60, 14 * 60];
  const preferred = (cs: Candidate[], i: number) => {
    const target = targets[i % targets.length]!;
    return [...cs].sort(
      (a, b) => Math.abs(a.minutes - target) - Math.abs(b.minutes - target) || a.t - b.t,
    )[0]!;
  };
  for (const [day, cs] of byDay) {
    if (chosen.length >= p.count) break;
    if (chosen.some((c) => c.day === day)) continue;
    chosen.push(preferred(cs, chosen.length));
  }
  const apart = 2 * 60 * MINUTE;
  for (const c of cands) {
    if (chosen.length >= p.count) break;
    if (chosen.every((x) => Math.abs(x.t - c.t) >= apart)) chosen.push(c);
  }
  return chosen;
}

/**
 * The slot as the contact reads it: their day and time first ("your time"), the user's after it
 * (see formatForContact), and the length.
 */
export function describeSlot(slot: ProposedSlot, userZone: string, contactZone: string | null): string {
  // With their zone unknown the draft asks for it once, not on every line.
  return formatForContact(slot.start, userZone, contactZone).replace(
    /\. I don't know which time zone[^]*$/,
    '',
  );
}
