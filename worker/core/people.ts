// People as a pipeline: contacts the user adds or imports (company, role, how connected, the
// reason for asking, an introducer), introduction requests, and the board of people by stage.
// The stage is derived (pipeline/contact-stage.ts), never stored.
import { createHash } from 'node:crypto';
import type { App } from '../app.ts';
import type { ContactConnection, DraftStatus, PrismaClient } from '../db/generated/client.ts';
import { contactStage, type ContactStage } from '../pipeline/contact-stage.ts';
import { isMailAddress } from '../pipeline/mail-address.ts';
import { isValidZone } from '../pipeline/time-zones.ts';
import { scheduleJob } from '../queues/schedule-job.ts';

export const CONNECTIONS: readonly ContactConnection[] = ['alumni', 'mutual', 'colleague', 'cold'];

export interface ContactInput {
  email: string;
  name?: string | null;
  company?: string | null;
  role?: string | null;
  /** alumni | mutual | colleague | cold */
  connection?: string | null;
  /** The specific reason for asking them. */
  reason?: string | null;
  /** Address of someone who could introduce the user. */
  introducer?: string | null;
  timeZone?: string | null;
}

interface CleanContact {
  email: string;
  name: string | null;
  company: string | null;
  role: string | null;
  connection: ContactConnection | null;
  reason: string | null;
  introducer: string | null;
  timeZone: string | null;
}

const blank = (v: string | null | undefined) => {
  const t = v?.trim().replace(/\s+/g, ' ');
  return t ? t : null;
};

/** Checks one contact; throws one line saying what is wrong. */
export function cleanContact(input: ContactInput): CleanContact {
  const email = input.email?.trim().toLowerCase() ?? '';
  if (!isMailAddress(email)) throw new Error(`"${input.email ?? ''}" is not an email address`);
  const connection = blank(input.connection)?.toLowerCase() ?? null;
  if (connection && !CONNECTIONS.includes(connection as ContactConnection))
    throw new Error(`connection "${input.connection}" must be one of ${CONNECTIONS.join(', ')}`);
  const reason = blank(input.reason);
  if (reason && reason.length < 10)
    throw new Error('the reason must say specifically why this person (a sentence, at least 10 characters)');
  const introducer = blank(input.introducer)?.toLowerCase() ?? null;
  if (introducer && !isMailAddress(introducer))
    throw new Error(`introducer "${input.introducer}" is not an email address`);
  if (introducer === email) throw new Error(`${email} cannot introduce themselves`);
  const timeZone = blank(input.timeZone);
  if (timeZone && !isValidZone(timeZone))
    throw new Error(`"${timeZone}" is not an IANA time zone (e.g. Asia/Tokyo)`);
  return {
    email,
    name: blank(input.name),
    company: blank(input.company),
    role: blank(input.role),
    connection: connection as ContactConnection | null,
    reason,
    introducer,
    timeZone,
  };
}

async function userIdOf(app: App): Promise<string> {
  const account = await app.prisma.account.findFirst({ orderBy: { createdAt: 'asc' } });
  if (!account) throw new Error('no account yet: add one first (coffee-chat accounts add --help)');
  return account.userId;
}

/** Writes checked contacts; fields left empty keep what the contact already had. */
async function saveContacts(app: App, userId: string, rows: CleanContact[]) {
  return app.prisma.$transaction(async (tx) => {
    const saved = [];
    for (const c of rows) {
      let introducerId: string | undefined;
      if (c.introducer) {
        const intro = await tx.contact.upsert({
          where: { userId_email: { userId, email: c.introducer } },
          create: { userId, email: c.introducer },
          update: {},
        });
        introducerId = intro.id;
      }
      const fields = {
        ...(c.name ? { name: c.name } : {}),
        ...(c.company ? { company: c.company } : {}),
        ...(c.role ? { role: c.role } : {}),
        ...(c.connection ? { connection: c.connection } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(introducerId ? { introducerId } : {}),
        ...(c.timeZone ? { timeZone: c.timeZone, timeZoneSource: 'user' } : {}),
      };
      const row = await tx.contact.upsert({
        where: { userId_email: { userId, email: c.email } },
        create: { userId, email: c.email, ...fields },
        update: fields,
      });
      saved.push(row);
    }
    return saved;
  });
}

/** `contacts add`. */
export async function addContact(app: App, input: ContactInput) {
  const clean = cleanContact(input);
  const [row] = await saveContacts(app, await userIdOf(app), [clean]);
  return { email: row!.email, introducer: clean.introducer };
}

/** The columns `contacts import` reads (header names, case and spaces ignored). */
const COLUMNS: Record<string, keyof ContactInput> = {
  name: 'name',
  email: 'email',
  company: 'company',
  role: 'role',
  title: 'role',
  connection: 'connection',
  howconnected: 'connection',
  reason: 'reason',
  why: 'reason',
  introducer: 'introducer',
  introducedby: 'introducer',
  via: 'introducer',
  timezone: 'timeZone',
};

/** RFC 4180 CSV: quoted fields with commas, doubled quotes and line breaks; CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('the CSV ends inside a quoted field (a " is not closed)');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/**
 * `contacts import FILE.csv`: every row is checked first; one bad row imports nothing and every
 * problem is named with its line, so the file can be fixed and imported again (importing twice
 * updates, never duplicates).
 */
export async function importContacts(app: App, csv: string) {
  const rows = parseCsv(csv);
  const header = rows.shift();
  if (!header)
    throw new Error('the CSV is empty (first line: name,email,company,role,connection,reason,introducer)');
  const keys = header.map((h) => COLUMNS[h.toLowerCase().replace(/[\s_-]/g, '')] ?? null);
  if (!keys.includes('email'))
    throw new Error(`the CSV header has no email column (found: ${header.join(', ')})`);
  const unknown = header.filter((_, i) => keys[i] === null && header[i]!.trim() !== '');
  if (unknown.length)
    throw new Error(
      `unknown CSV column(s): ${unknown.join(', ')} (known: ${[...new Set(Object.keys(COLUMNS))].join(', ')})`,
    );
  const problems: string[] = [];
  const clean: CleanContact[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const input: Record<string, string> = {};
    keys.forEach((k, j) => {
      if (k) input[k] = r[j] ?? '';
    });
    try {
      const c = cleanContact(input as unknown as ContactInput);
      if (seen.has(c.email)) throw new Error(`${c.email} appears twice`);
      seen.add(c.email);
      clean.push(c);
    } catch (err) {
      problems.push(`row ${i + 2}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  if (problems.length) throw new Error(`nothing imported: ${problems.join('; ')}`);
  const userId = await userIdOf(app);
  const existing = new Set(
    (await app.prisma.contact.findMany({ where: { userId, email: { in: clean.map((c) => c.email) } } })).map(
      (c) => c.email,
    ),
  );
  await saveContacts(app, userId, clean);
  return {
    added: clean.filter((c) => !existing.has(c.email)).length,
    updated: clean.filter((c) => existing.has(c.email)).length,
  };
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/**
 * `intro --via ADDR --to TARGET`: a draft to the mutual acquaintance asking whether they would
 * introduce the user, with a forwardable two-line note. The target's reason is needed (from
 * `contacts add --reason` or `--why`); the target remembers who introduces them.
 */
export async function requestIntro(
  app: App,
  input: { via: string; to: string; why?: string; about?: string; from?: string },
) {
  const via = input.via.trim().toLowerCase();
  const to = input.to.trim().toLowerCase();
  if (!isMailAddress(via)) throw new Error(`--via "${input.via}" is not an email address`);
  if (!isMailAddress(to)) throw new Error(`--to "${input.to}" is not an email address`);
  if (via === to) throw new Error('--via and --to are the same person');
  const account = await app.prisma.account.findFirst({
    where: { status: 'active', ...(input.from ? { email: input.from.toLowerCase() } : {}) },
    orderBy: { createdAt: 'asc' },
  });
  if (!account)
    throw new Error(
      input.from
        ? `no active account ${input.from}`
        : 'no active account: add one first (coffee-chat accounts add --help)',
    );
  const userId = account.userId;
  const why = blank(input.why);
  if (why && why.length < 10)
    throw new Error('--why must say specifically why this person (a sentence, at least 10 characters)');
  const existing = await app.prisma.contact.findUnique({ where: { userId_email: { userId, email: to } } });
  const reason = why ?? existing?.reason ?? null;
  if (!reason) throw new Error(`say why ${to}, specifically: --why "…" (or contacts add ${to} --reason "…")`);
  const [target] = await saveContacts(app, userId, [
    { ...cleanContact({ email: to, reason, introducer: via }) },
  ]);
  const introducer = await app.prisma.contact.findUniqueOrThrow({
    where: { userId_email: { userId, email: via } },
  });
  for (const c of [introducer, target!])
    if (c.doNotContact)
      throw new Error(`${c.email} is marked do-not-contact (coffee-chat contacts resume ${c.email} to undo)`);
  const key = `intro-${target!.id}-${shortHash(via)}`;
  const now = app.now();
  const draft = await app.prisma.draft.upsert({
    where: { idempotencyKey: key },
    create: {
      idempotencyKey: key,
      kind: 'intro_request',
      userId,
      accountId: account.id,
      contactId: introducer.id,
      dueAt: now,
      context: { targetId: target!.id, about: blank(input.about) },
    },
    update: {},
  });
  if (draft.status === 'scheduled' || draft.status === 'failed') {
    await scheduleJob(app.queues, 'create-draft', { key }, { jobId: key, dueAt: now, now });
  }
  return { key, status: draft.status, account: account.email, via, to };
}

export interface PersonOnBoard {
  email: string;
  name: string | null;
  company: string | null;
  role: string | null;
  connection: string | null;
  reason: string | null;
  introducer: string | null;
  timeZone: string | null;
  stage: ContactStage;
  next: string;
  repliedAt: string | null;
  introducedAt: string | null;
}

/**
 * Everyone in the pipeline with their stage and next step: contacts the user added (a reason or
 * a connection), asked, or met. Someone known only as an introducer, or only from mail, is not
 * on the board.
 */
export async function peopleBoard(
  prisma: PrismaClient,
  now: Date,
  opts: { userId?: string; followUpBusinessDays?: number } = {},
): Promise<PersonOnBoard[]> {
  const contacts = await prisma.contact.findMany({
    where: opts.userId ? { userId: opts.userId } : {},
    include: {
      user: { select: { timeZone: true } },
      introducer: { select: { email: true } },
      checkIn: true,
      chats: { select: { status: true, startUtc: true, endUtc: true } },
      drafts: { select: { kind: true, status: true, sentAt: true } },
    },
    orderBy: [{ createdAt: 'asc' }, { email: 'asc' }],
  });
  // An intro request is addressed to the introducer; it belongs on the board to the person to meet.
  const introDrafts = new Map<
    string,
    { kind: 'intro_request'; status: DraftStatus; sentAt: Date | null }[]
  >();
  const requests = await prisma.draft.findMany({
    where: { kind: 'intro_request', ...(opts.userId ? { userId: opts.userId } : {}) },
    select: { status: true, sentAt: true, context: true },
  });
  for (const d of requests) {
    const targetId = (d.context as { targetId?: string } | null)?.targetId;
    if (!targetId) continue;
    const list = introDrafts.get(targetId) ?? [];
    list.push({ kind: 'intro_request', status: d.status, sentAt: d.sentAt });
    introDrafts.set(targetId, list);
  }
  return contacts
    .filter(
      (c) =>
        c.reason || c.connection || c.chats.length > 0 || c.drafts.some((d) => d.kind !== 'intro_request'),
    )
    .map((c) => {
      const view = contactStage(
        {
          email: c.email,
          doNotContact: c.doNotContact,
          introducer: c.introducer?.email ?? null,
          introducedAt: c.introducedAt,
          repliedAt: c.repliedAt,
          // Intro requests go to the introducer; this contact's own come through `introducer`.
          drafts: [...c.drafts.filter((d) => d.kind !== 'intro_request'), ...(introDrafts.get(c.id) ?? [])],
          chats: c.chats,
          checkIn: c.checkIn,
          contactTimeZone: c.timeZone,
          userTimeZone: c.user.timeZone,
          followUpBusinessDays: opts.followUpBusinessDays ?? 7,
        },
        now,
      );
      return {
        email: c.email,
        name: c.name,
        company: c.company,
        role: c.role,
        connection: c.connection,
        reason: c.reason,
        introducer: c.introducer?.email ?? null,
        timeZone: c.timeZone,
        stage: view.stage,
        next: view.next,
        repliedAt: c.repliedAt?.toISOString() ?? null,
        introducedAt: c.introducedAt?.toISOString() ?? null,
      };
    });
}
