import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { api, ApiError, call, type EventType, type Schemas } from '../api/client';
import { Alert, Field } from '../components/ui';

type Webhook = Schemas['WebhookView'];
type EventTypeView = Schemas['EventTypeView'];
const FIELDS = ['name', 'url', 'events', 'description', 'enabled', 'filter'] as const;

/** Filter examples the form offers (docs/delivery.md "Filters"). */
const FILTER_EXAMPLES: { label: string; filter: object }[] = [
  { label: 'Only when the value changed', filter: { changedFields: { $in: ['value'] } } },
  { label: 'Only amounts of a million or more', filter: { 'object.amount': { $gte: 1000000 } } },
  { label: 'Only active investments of one team', filter: { $and: [{ 'object.status': 'active' }, { 'object.teamId': { $in: ['<team id>'] } }] } },
];

let eventTypesCache: Promise<EventTypeView[]> | null = null;
export function loadEventTypes(): Promise<EventTypeView[]> {
  eventTypesCache ??= call(api.GET('/v1/webhook-event-types')).catch((err) => {
    eventTypesCache = null;
    throw err;
  });
  return eventTypesCache;
}

/** A checkbox that can show "some selected" (indeterminate), which HTML has no attribute for. */
function TriStateCheckbox({ label, checked, some, onChange }: { label: string; checked: boolean; some: boolean; onChange(checked: boolean): void }) {
  const ref = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = some && !checked;
  }, [some, checked]);
  return (
    <div className="check select-all">
      <input ref={ref} id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

/** Create Webhook / Edit: Name, URL, Events grouped by subject (select all per subject and overall), Description. */
export function WebhookForm({
  wid,
  webhook,
  onSaved,
  onCancel,
}: {
  wid: string;
  webhook?: Webhook;
  onSaved(result: Webhook & { secret?: string }): void;
  onCancel(): void;
}) {
  const [types, setTypes] = useState<EventTypeView[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState(webhook?.name ?? '');
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [events, setEvents] = useState<Set<EventType>>(new Set(webhook?.events ?? []));
  const [filter, setFilter] = useState(webhook?.filter ? JSON.stringify(webhook.filter, null, 2) : '');
  const [filterError, setFilterError] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const eventsErrorId = useId();

  useEffect(() => {
    loadEventTypes().then(setTypes, (err) => setLoadError(String(err.message ?? err)));
  }, []);

  const groups = useMemo(() => {
    const bySubject = new Map<string, EventTypeView[]>();
    for (const t of types) bySubject.set(t.subject, [...(bySubject.get(t.subject) ?? []), t]);
    return [...bySubject.entries()];
  }, [types]);

  const toggle = (list: EventType[], on: boolean) =>
    setEvents((prev) => {
      const next = new Set(prev);
      for (const t of list) (on ? next.add(t) : next.delete(t));
      return next;
    });

  const all = types.map((t) => t.type);
  const fieldErrors = error?.fields ?? {};
  // 422 (a refused URL: private address, unresolvable host…) is about the URL even when the message does not name it.
  const urlErrors = fieldErrors.url ?? (error?.status === 422 ? error.messages : undefined);
  const otherErrors = error && !Object.keys(fieldErrors).length && error.status !== 422 ? error.message : null;

  return (
    <form
      className="card webhook-form"
      aria-label={webhook ? `Edit webhook ${webhook.name}` : 'Create Webhook'}
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setFilterError(null);
        let parsedFilter: Record<string, unknown> | null = null;
        if (filter.trim()) {
          try {
            parsedFilter = JSON.parse(filter) as Record<string, unknown>;
          } catch {
            setFilterError('filter must be JSON, e.g. {"changedFields": {"$in": ["value"]}}');
            return;
          }
        }
        setBusy(true);
        const body = { name, url, events: [...events], description: description || null, filter: parsedFilter };
        try {
          const saved = webhook
            ? await call(api.PATCH('/v1/workspaces/{wid}/webhooks/{id}', { params: { path: { wid, id: webhook.id } }, body }), FIELDS)
            : await call(api.POST('/v1/workspaces/{wid}/webhooks', { params: { path: { wid } }, body: { ...body, enabled: true } }), FIELDS);
          onSaved(saved);
        } catch (err) {
          setError(err as ApiError);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3>{webhook ? `Edit ${webhook.name}` : 'Create Webhook'}</h3>
      <Field label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="New Report Published" errors={fieldErrors.name} />
      <Field
        label="URL"
        name="url"
        type="url"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        placeholder="https://example.com/webhooks/countercyclical"
        hint="The HTTPS endpoint on your server that receives the POST requests."
        errors={urlErrors}
      />
      <fieldset className="events" aria-describedby={fieldErrors.events ? eventsErrorId : undefined}>
        <legend>Events</legend>
        {loadError && <Alert>{loadError}</Alert>}
        <TriStateCheckbox
          label="All events"
          checked={all.length > 0 && events.size === all.length}
          some={events.size > 0}
          onChange={(on) => toggle(all, on)}
        />
        <div className="event-groups">
          {groups.map(([subject, list]) => {
            const selected = list.filter((t) => events.has(t.type)).length;
            return (
              <fieldset key={subject} className="event-group">
                <legend>{subject}</legend>
                <TriStateCheckbox
                  label={`All ${subject} events`}
                  checked={selected === list.length}
                  some={selected > 0}
                  onChange={(on) => toggle(list.map((t) => t.type), on)}
                />
                {list.map((t) => (
                  <div className="check" key={t.type}>
                    <input id={`ev-${t.type}`} type="checkbox" checked={events.has(t.type)} onChange={(e) => toggle([t.type], e.target.checked)} />
                    <label htmlFor={`ev-${t.type}`} title={t.description}>
                      {t.type}
                    </label>
                  </div>
                ))}
              </fieldset>
            );
          })}
        </div>
        {fieldErrors.events && (
          <ul className="field-errors" id={eventsErrorId}>
            {fieldErrors.events.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </fieldset>
      <Field
        label="Filter (optional)"
        name="filter"
        multiline
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        hint='Deliver only events matching this MongoDB-style condition on object, previousAttributes and changedFields ($eq $ne $in $nin $gt $gte $lt $lte $exists $and $or $not). Empty: every event.'
        errors={filterError ? [filterError] : fieldErrors.filter}
      />
      <div className="filter-examples" role="group" aria-label="Filter examples">
        {FILTER_EXAMPLES.map((ex) => (
          <button type="button" key={ex.label} onClick={() => setFilter(JSON.stringify(ex.filter, null, 2))}>
            {ex.label}
          </button>
        ))}
      </div>
      <Field label="Description" name="description" multiline value={description} onChange={(e) => setDescription(e.target.value)} errors={fieldErrors.description} />
      {otherErrors && <Alert>{otherErrors}</Alert>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
