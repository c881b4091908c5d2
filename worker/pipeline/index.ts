// The pure pipeline: detect chats, resolve time zones, plan what to schedule, render drafts.
// Nothing here reads the clock, the environment or the network; `now` and policy are arguments.
export type * from './types.ts';
export { detectChat, DEFAULT_CHAT_KEYWORDS, CHAT_MARKER, type DetectChatContext, type ChatDetection, type DetectedContact } from './detect-chat.ts';
export { eventZone, resolveContactZone, formatBothZones, formatClock, isValidZone, safeZone, zoneCity, type ContactZoneInput, type ContactZoneSource } from './time-zones.ts';
export { planChatActions, chatActionKey } from './plan-chat-actions.ts';
export { planCheckIn, checkInKey, type CheckInPlan } from './plan-check-in.ts';
export { extractNoteFromDescription, effectiveNote } from './thank-you-note.ts';
export { renderDraft, type DraftKind, type DraftModels, type ChatWhen, type RenderOptions, type RenderedDraft } from './render-draft.ts';
export { renderPrepDescription, renderPrepTitle, type PrepModel } from './render-prep.ts';
export { firstNameOf, placeholder, NOT_READY } from './draft-phrases.ts';
export { DEFAULT_TEMPLATES_DIR, clearTemplateCache } from './template-store.ts';
