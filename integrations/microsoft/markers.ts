// Our idempotency marker on Graph items: a single-value extended property in our own property set
// (https://learn.microsoft.com/en-us/graph/api/resources/extended-properties-overview), stored on
// drafts and events and found again with $filter. The name is the neutral marker key.
import { MARKER_KEY } from '../provider.ts';

export const MARKER_NAME = MARKER_KEY;
export const MARKER_PROPERTY_SET = '{4e3c9f2a-7b61-4d0e-9a53-6c2f0e8d1b7a}';
export const COFFEE_CHAT_MARKER_ID = `String ${MARKER_PROPERTY_SET} Name ${MARKER_NAME}`;

/** OData literal: single quotes doubled. */
export function odataString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

export function markerFilter(marker: string): string {
  return `singleValueExtendedProperties/any(ep: ep/id eq ${odataString(COFFEE_CHAT_MARKER_ID)} and ep/value eq ${odataString(marker)})`;
}
