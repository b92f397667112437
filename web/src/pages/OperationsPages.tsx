import { useCallback, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, call, errorMessage, type Schemas } from '../api/client';
import { Alert, formatTime, StatusBadge } from '../components/ui';
import { useWorkspace } from '../workspace';

type Webhook = Schemas['WebhookView'];
type Stats = Schemas['WebhookStatsView'];
type Found = Schemas['DeliverySearchView'];
type Why = Schemas['EventDecisionsView'];
type AuditEntry = Schemas['AuditEntryView'];

const REASONS: Record<string, string> = {
  not_permitted: "its owner may not read this object",
  disabled: 'it was disabled when the event happened',
  created_after_event: 'it was created after the event',
  filtered: "its filter did not match",
  not_subscribed: 'it subscribed to this type later',
};

export const eventPath = (wid: string, eventId: string) => `/w/${wid}/settings/events/${eventId}`;

/** "N failed attempts in a row since …" from the webhook's own health fields (the count stops at WEBHOOK_FAILING_AFTER). */
export function failingText(w: Webhook): string {
  const since = w.failingSince ? ` since ${formatTime(w.failingSince)}` : '';
  return `${w.consecutiveFailures}+ failed attempts in a row${since}`;
}

/**
 * Failing and disabled webhooks, at the top of the webhooks list: the platform's own state of each
 * webhook (health, as the webhook.failing / webhook.disabled alerts announced it), not a guess.
 */
export function HealthBanner({ webhooks }: { webhooks: Webhook[] }) {
  const { workspace } = useWorkspace();
  const disabled = webhooks.filter((w) => w.health === 'disabled');
  const failing = webhooks.filter((w) => w.health === 'failing' && w.enabled);
  if (!disabled.length && !failing.length) return null;
  const logs = (w: Webhook) => `/w/${workspace.id}/settings/developers/webhooks/${w.id}/logs`;
  return (
    <div className="alert alert-error" role="alert" aria-label="Webhook health">
      <ul className="plain">
        {disabled.map((w) => (
          <li key={w.id}>
            <strong>{w.name}</strong> was disabled ({w.disabledReason}): it receives nothing until you enable it again.{' '}
            <Link href={logs(w)}>See its logs</Link>
          </li>
        ))}
        {failing.map((w) => (
          <li key={w.id}>
            <strong>{w.name}</strong> is failing: {failingText(w)}. <Link href={logs(w)}>See its logs</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A webhook's health over the last 24 hours (on its logs page). */
export function WebhookHealth({ webhookId }: { webhookId: string }) {
  const { workspace } = useWorkspace();
  const [stats, setStats] = useState<Stats | null>(null);
  useEffect(() => {
    call(api.GET('/v1/workspaces/{wid}/webhooks/{id}/stats', { params: { path: { wid: workspace.id, id: webhookId } } })).then(setStats, () => setStats(null));
  }, [workspace.id, webhookId]);
  if (!stats) return null;
  const rate = stats.successRate === null ? '—' : `${(stats.successRate * 100).toFixed(1)} %`;
  return (
    <section className="card" aria-label="Health, last 24 hours">
      <h2>Health, last 24 hours</h2>
      <dl className="figures">
        <dt>Success rate</dt>
        <dd>{rate}</dd>
        <dt>Deliveries</dt>
        <dd>
          {stats.total} ({stats.succeeded} succeeded, {stats.failed} failed, {stats.retrying} retrying, {stats.pending} pending)
        </dd>
        <dt>Duration p50 / p95</dt>
        <dd>
          {stats.p50DurationMs ?? '—'} ms / {stats.p95DurationMs ?? '—'} ms
        </dd>
        <dt>Last success</dt>
        <dd>{formatTime(stats.lastSuccessAt)}</dd>
        <dt>Last failure</dt>
        <dd>
          {formatTime(stats.lastFailureAt)}
          {stats.lastError ? ` — ${stats.lastError}` : ''}
        </dd>
      </dl>
    </section>
  );
}

/** The delivery search across the workspace's webhooks (members: their own). */
export function DeliverySearchPage() {
  const { workspace } = useWorkspace();
  const wid = workspace.id;
  const [filters, setFilters] = useState({ eventId: '', objectId: '', status: '', errorKind: '' });
  const [rows, setRows] = useState<Found[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fetchPage = useCallback(
    async (after: string | null) => {
      setError(null);
      try {
        const query = Object.fromEntries(Object.entries({ ...filters, limit: 25, cursor: after ?? '' }).filter(([, v]) => v !== ''));
        const page = await call(api.GET('/v1/workspaces/{wid}/deliveries', { params: { path: { wid }, query: query as never } }));
        setRows((prev) => (after && prev ? [...prev, ...(page.data as Found[])] : (page.data as Found[])));
        setCursor(page.nextCursor);
      } catch (err) {
        setError(errorMessage(err));
        setRows((prev) => prev ?? []);
      }
    },
    [wid, filters],
  );
  useEffect(() => {
    void fetchPage(null);
  }, [fetchPage]);
  const field = (name: keyof typeof filters, label: string, options?: string[]) => (
    <div className="field">
      <label htmlFor={`search-${name}`}>{label}</label>
      {options ? (
        <select id={`search-${name}`} value={filters[name]} onChange={(e) => setFilters({ ...filters, [name]: e.target.value })}>
          <option value="">Any</option>
          {options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input id={`search-${name}`} value={filters[name]} onChange={(e) => setFilters({ ...filters, [name]: e.target.value.trim() })} />
      )}
    </div>
  );
  return (
    <>
      <h1>Deliveries</h1>
      <p className="muted">Every delivery of the webhooks you can see, newest first. Open an event to see why each webhook did or did not get it.</p>
      <form className="filters" aria-label="Search deliveries" onSubmit={(e) => e.preventDefault()}>
        {field('eventId', 'Event id')}
        {field('objectId', 'Object id')}
        {field('status', 'Status', ['pending', 'succeeded', 'retrying', 'failed', 'cancelled'])}
        {field('errorKind', 'Error', ['timeout', 'connection_refused', 'connection_reset', 'dns', 'blocked_address', 'tls', 'http_status', 'invalid_response', 'network'])}
      </form>
      <Alert>{error}</Alert>
      {rows === null ? (
        <p className="muted" role="status">
          Loading deliveries…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">No deliveries match.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Deliveries</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Webhook</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td>{formatTime(d.createdAt)}</td>
                  <td className="mono">
                    <Link href={eventPath(wid, d.eventId)}>{d.eventId}</Link>
                  </td>
                  <td>{d.eventType}</td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td>
                    <Link href={`/w/${wid}/settings/developers/webhooks/${d.webhookId}/logs`}>Logs</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => void fetchPage(cursor)}>
          Load more
        </button>
      )}
    </>
  );
}

/** "Why (not)?": an event and each subscribed webhook's decision. */
export function EventDecisionsPage({ eventId }: { eventId: string }) {
  const { workspace } = useWorkspace();
  const [why, setWhy] = useState<Why | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call(api.GET('/v1/workspaces/{wid}/events/{eventId}', { params: { path: { wid: workspace.id, eventId } } })).then(setWhy, (err) =>
      setError(errorMessage(err)),
    );
  }, [workspace.id, eventId]);
  return (
    <>
      <p className="breadcrumb">
        <Link href={`/w/${workspace.id}/settings/deliveries`}>Deliveries</Link> › Event
      </p>
      <h1>Event {eventId}</h1>
      <Alert>{error}</Alert>
      {why && (
        <>
          <dl className="figures">
            <dt>Type</dt>
            <dd>{why.type}</dd>
            <dt>Object</dt>
            <dd className="mono">{why.objectId ?? '—'}</dd>
            <dt>Happened</dt>
            <dd>{formatTime(why.createdAt)}</dd>
            <dt>By</dt>
            <dd>
              {why.actor.type} {why.actor.id ?? ''}
            </dd>
          </dl>
          <h2>Webhooks subscribed to {why.type}</h2>
          {why.decisions.length === 0 ? (
            <p className="empty">No webhook you can see is subscribed to this type.</p>
          ) : (
            <ul className="decisions">
              {why.decisions.map((d) => (
                <li key={d.webhookId}>
                  <strong>{d.webhookName}</strong>:{' '}
                  {d.decision === 'delivered' ? (
                    <>
                      delivered — <StatusBadge status={d.status ?? 'pending'} />
                      {d.cancelReason ? ` (${d.cancelReason})` : ''}
                    </>
                  ) : d.decision === 'pending' ? (
                    'not decided yet'
                  ) : (
                    <>not delivered: {REASONS[d.reason ?? ''] ?? d.reason}</>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}

/** The audit log (owners and admins). */
export function AuditLogPage() {
  const { workspace, ability } = useWorkspace();
  const [rows, setRows] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const allowed = ability.can('read', 'AuditLog');
  const fetchPage = useCallback(
    async (after: string | null) => {
      try {
        const page = await call(
          api.GET('/v1/workspaces/{wid}/audit-log', { params: { path: { wid: workspace.id }, query: { limit: 50, ...(after ? { cursor: after } : {}) } } }),
        );
        setRows((prev) => (after && prev ? [...prev, ...(page.data as AuditEntry[])] : (page.data as AuditEntry[])));
        setCursor(page.nextCursor);
      } catch (err) {
        setError(errorMessage(err));
        setRows([]);
      }
    },
    [workspace.id],
  );
  useEffect(() => {
    if (allowed) void fetchPage(null);
  }, [fetchPage, allowed]);
  if (!allowed) {
    return (
      <>
        <h1>Audit log</h1>
        <p>Only owners and admins can read the audit log.</p>
      </>
    );
  }
  const changes = (e: AuditEntry) =>
    Object.keys({ ...(e.before ?? {}), ...(e.after ?? {}) })
      .map((k) => `${k}: ${JSON.stringify(e.before?.[k] ?? null)} → ${JSON.stringify(e.after?.[k] ?? null)}`)
      .join('; ');
  return (
    <>
      <h1>Audit log</h1>
      <p className="muted">Who changed webhooks, members, invitations and API keys, newest first.</p>
      <Alert>{error}</Alert>
      {rows === null ? (
        <p className="muted" role="status">
          Loading the audit log…
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Audit log</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Who</th>
                <th scope="col">Changes</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.createdAt)}</td>
                  <td>{e.action}</td>
                  <td className="mono">
                    {e.actor.type} {e.actor.id}
                  </td>
                  <td className="break">{changes(e)}</td>
                  <td>{e.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => void fetchPage(cursor)}>
          Load more
        </button>
      )}
    </>
  );
}
