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

const BY_TYPE = new Map<string, EventTypeInfo>(EVENT_CATALOG.map((e) => [e.type, e]));
export function eventTypeInfo(type: string): EventTypeInfo | undefined {
  return BY_TYPE.get(type);
}

/** Sent by `POST …/webhooks/:id/test` to one endpoint only; not in the catalog, never fanned out. */
export const TEST_EVENT_TYPE = 'webhook.test';
