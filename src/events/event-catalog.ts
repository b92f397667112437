/** The resources that emit events, with the CASL subject type that scopes who may receive them. */
export const EVENT_SUBJECTS = {
  investment: { label: 'Investment', casl: 'Investment' },
  valuation: { label: 'Valuation', casl: 'Valuation' },
  memo: { label: 'Memo', casl: 'Memo' },
  team: { label: 'Team', casl: 'Team' },
  assumption: { label: 'Assumption', casl: 'Assumption' },
  pipeline: { label: 'Pipeline', casl: 'Pipeline' },
} as const;
export type EventSubject = keyof typeof EVENT_SUBJECTS;

export const EVENT_ACTIONS = ['created', 'updated', 'deleted'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

export type EventType = `${EventSubject}.${EventAction}`;

export interface EventTypeInfo {
  type: EventType;
  subject: EventSubject;
  /** The CASL subject type whose `read` permission a webhook creator needs to receive it. */
  caslSubject: (typeof EVENT_SUBJECTS)[EventSubject]['casl'];
  description: string;
}

const article = (label: string) => (/^[AEIOU]/.test(label) ? 'an' : 'a');

/** The 18 event types of the public doc: one definition for the code, validation and Swagger. */
export const EVENT_CATALOG: readonly EventTypeInfo[] = (Object.keys(EVENT_SUBJECTS) as EventSubject[]).flatMap((subject) =>
  EVENT_ACTIONS.map((action) => {
    const { label, casl } = EVENT_SUBJECTS[subject];
    return {
      type: `${subject}.${action}` as EventType,
      subject,
      caslSubject: casl,
      description: `Action taken when ${article(label)} ${label} is ${action}`,
    };
  }),
);

export const EVENT_TYPES: readonly EventType[] = EVENT_CATALOG.map((e) => e.type);

/**
 * Operational events: about a webhook's health, emitted by delivery (docs/delivery.md
 * "Operational events"). `data.object` is the webhook (never its secret). Only webhooks owned by
 * an owner or admin may subscribe; an event about a webhook is never delivered through it.
 */
export const OPERATIONAL_EVENT_TYPES = ['webhook.failing', 'webhook.disabled', 'webhook.recovered'] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export interface OperationalEventTypeInfo {
  type: OperationalEventType;
  subject: 'webhook';
  caslSubject: 'Webhook';
  description: string;
}

export const OPERATIONAL_EVENT_CATALOG: readonly OperationalEventTypeInfo[] = [
  { type: 'webhook.failing', description: 'A webhook has failed several attempts in a row (WEBHOOK_FAILING_AFTER, default 4)' },
  { type: 'webhook.disabled', description: 'The platform disabled a webhook (data.reason: failing or gone; data.lastError: the last error)' },
  { type: 'webhook.recovered', description: 'A failing webhook had its first successful attempt' },
].map((e) => ({ ...e, type: e.type as OperationalEventType, subject: 'webhook' as const, caslSubject: 'Webhook' as const }));

/** Every type a webhook may subscribe to: the 18 domain types, then the operational ones. */
export const SUBSCRIBABLE_EVENT_TYPES: readonly string[] = [...EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES];

export function isOperationalEventType(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}

const BY_TYPE = new Map<string, EventTypeInfo | OperationalEventTypeInfo>([
  ...EVENT_CATALOG.map((e) => [e.type, e] as const),
  ...OPERATIONAL_EVENT_CATALOG.map((e) => [e.type, e] as const),
]);
export function eventTypeInfo(type: string): EventTypeInfo | OperationalEventTypeInfo | undefined {
  return BY_TYPE.get(type);
}

/** Sent by `POST …/webhooks/:id/test` to one endpoint only; not in the catalog, never fanned out. */
export const TEST_EVENT_TYPE = 'webhook.test';
