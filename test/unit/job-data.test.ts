// A pending job stores only what its id does not say (issue 14: Redis bytes per pending job), and
// its processor reads the same data back, whether the job was queued that way or by an older
// version with everything in its data.
import { jobData, jobSchemas, type JobName } from '../../worker/queues/queues.ts';
import { jobToAdd } from '../../worker/queues/schedule-job.ts';
import { checkInKey } from '../../worker/pipeline/plan-check-in.ts';
import { chatActionKey } from '../../worker/pipeline/plan-chat-actions.ts';

const CONTACT = '3f2b8c1e-9d4a-4e7b-8a21-000000000042';
const CHAT = 'b7e1c2d3-4f5a-4b6c-9d8e-123456789012';

const roundTrip = (name: JobName, data: Record<string, string>, jobId: string) => {
  const added = jobToAdd(name, data as never, jobId, 0);
  return { stored: added.data, read: jobSchemas[name].parse(jobData(name, { id: jobId, data: added.data })) };
};

test('a thank-you, a prep block and a check-in store nothing their id gives back, and read the same', () => {
  const thankYou = chatActionKey('thank_you', CHAT);
  expect(roundTrip('create-draft', { key: thankYou }, thankYou)).toEqual({
    stored: {},
    read: { key: thankYou },
  });
  const prep = chatActionKey('prep', CHAT);
  expect(roundTrip('create-prep', { key: prep }, prep)).toEqual({ stored: {}, read: { key: prep } });
  const checkIn = checkInKey(CONTACT, 2);
  expect(roundTrip('check-in', { contactId: CONTACT, key: checkIn }, checkIn)).toEqual({
    stored: {},
    read: { contactId: CONTACT, key: checkIn },
  });
});

test('what the id cannot give back exactly stays in the data', () => {
  // A contact id the key does not carry as it is (':' becomes '_').
  const odd = 'legacy:contact_7';
  const key = checkInKey(odd, 1);
  expect(roundTrip('check-in', { contactId: odd, key }, key)).toEqual({
    stored: { contactId: odd },
    read: { contactId: odd, key },
  });
  // A job whose id is not its key (a refresh) keeps its key.
  const refresh = roundTrip('refresh-draft', { key: 'thank_you-x' }, 'refresh-thank_you-x-1700000000000');
  expect(refresh.stored).toEqual({ key: 'thank_you-x' });
  // An id that differs from the key given: the key is kept, and it is what the job reads.
  expect(roundTrip('create-draft', { key: 'k-1' }, 'other-id')).toEqual({
    stored: { key: 'k-1' },
    read: { key: 'k-1' },
  });
});

test('a job queued by an older version, with everything in its data, reads the same', () => {
  const key = checkInKey(CONTACT, 3);
  expect(
    jobSchemas['check-in'].parse(jobData('check-in', { id: key, data: { contactId: CONTACT, key } })),
  ).toEqual({
    contactId: CONTACT,
    key,
  });
});
