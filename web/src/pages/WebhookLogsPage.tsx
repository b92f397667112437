import { subject } from '@casl/ability';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, call, errorMessage, type Schemas } from '../api/client';
import { Alert, Field, formatTime, StatusBadge } from '../components/ui';
import { useWorkspace } from '../workspace';
import { loadEventTypes } from './WebhookForm';
import { WebhookHealth } from './OperationsPages';

type Webhook = Schemas['WebhookView'];
type Delivery = Schemas['DeliveryView'];
type Detail = Schemas['DeliveryDetailView'];
type Status = Delivery['status'];
const STATUSES: Status[] = ['pending', 'succeeded', 'retrying', 'failed', 'cancelled'];
const PAGE = 25;

/** View Logs: a webhook's deliveries newest first, filtered, paged by cursor, with each delivery's attempts. */
export function WebhookLogsPage({ webhookId }: { webhookId: string }) {
  const { workspace, ability } = useWorkspace();
  const wid = workspace.id;
  const [webhook, setWebhook] = useState<Webhook | null>(null);
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const [status, setStatus] = useState<Status | ''>('');
  const [eventType, setEventType] = useState('');
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [since, setSince] = useState('');
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    call(api.GET('/v1/workspaces/{wid}/webhooks/{id}', { params: { path: { wid, id: webhookId } } })).then(setWebhook, (err) =>
      setError(errorMessage(err)),
    );
    loadEventTypes().then((t) => setEventTypes(['webhook.test', ...t.map((x) => x.type)]), () => undefined);
  }, [wid, webhookId]);

  const fetchPage = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const query = { limit: PAGE, ...(after ? { cursor: after } : {}), ...(status ? { status } : {}), ...(eventType ? { eventType } : {}) };
        const page = await call(api.GET('/v1/workspaces/{wid}/webhooks/{id}/deliveries', { params: { path: { wid, id: webhookId }, query } }));
        const data = (page.data ?? []) as Delivery[];
        setRows((prev) => (after && prev ? [...prev, ...data] : data));
        setCursor(page.nextCursor);
      } catch (err) {
        setError(errorMessage(err));
        setRows((prev) => prev ?? []);
      } finally {
        setLoading(false);
      }
    },
    [wid, webhookId, status, eventType],
  );

  useEffect(() => {
    void fetchPage(null);
  }, [fetchPage]);

  const canManage = webhook ? ability.can('update', subject('Webhook', { ...webhook })) : false;
  const refresh = () => fetchPage(null);

  return (
    <>
      <p className="breadcrumb">
        Settings › Workspace › Advanced › <Link href={`/w/${wid}/settings/developers`}>Developers</Link> › Webhooks
      </p>
      <h1>Logs{webhook ? `: ${webhook.name}` : ''}</h1>
      {webhook && <p className="mono muted break">{webhook.url}</p>}
      <Alert>{error}</Alert>
      <Alert kind="success">{notice}</Alert>
      <WebhookHealth webhookId={webhookId} />

      <form className="filters" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => setStatus(e.target.value as Status | '')}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-event">Event type</label>
          <select id="filter-event" value={eventType} onChange={(e) => setEventType(e.target.value)}>
            <option value="">All event types</option>
            {eventTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={refresh} disabled={loading}>
          Refresh
        </button>
      </form>

      {canManage && (
        <form
          className="filters recover"
          aria-label="Recover failed deliveries"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            setNotice(null);
            try {
              const { count } = await call(
                api.POST('/v1/workspaces/{wid}/webhooks/{id}/recover', {
                  params: { path: { wid, id: webhookId } },
                  body: { since: new Date(since).toISOString() },
                }),
                ['since'],
              );
              setNotice(count ? `${count} failed ${count === 1 ? 'delivery' : 'deliveries'} queued again.` : 'No failed deliveries since then.');
              await refresh();
            } catch (err) {
              setError(errorMessage(err));
            }
          }}
        >
          <Field label="Recover failed deliveries since" type="datetime-local" name="since" required value={since} onChange={(e) => setSince(e.target.value)} />
          <button type="submit" disabled={!since}>
            Recover
          </button>
        </form>
      )}

      {rows === null ? (
        <p role="status" className="muted">
          Loading deliveries…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">No deliveries{status || eventType ? ' match these filters' : ' yet'}.</p>
      ) : (
        <div className="table-wrap">
          <table className="deliveries">
            <caption className="sr-only">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event type</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">Duration</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <DeliveryRow
                  key={d.id}
                  wid={wid}
                  webhookId={webhookId}
                  delivery={d}
                  open={selected === d.id}
                  onToggle={() => setSelected(selected === d.id ? null : d.id)}
                  canManage={canManage}
                  onRedelivered={async () => {
                    setNotice('Redelivery queued: a new attempt of the same message.');
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => fetchPage(cursor)} disabled={loading}>
          Load more
        </button>
      )}
    </>
  );
}

function DeliveryRow({
  wid,
  webhookId,
  delivery,
  open,
  onToggle,
  canManage,
  onRedelivered,
}: {
  wid: string;
  webhookId: string;
  delivery: Delivery;
  open: boolean;
  onToggle(): void;
  canManage: boolean;
  onRedelivered(): void;
}) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const params = { params: { path: { wid, id: webhookId, did: delivery.id } } };
  const loadDetail = useCallback(async () => {
    try {
      setDetail(await call(api.GET('/v1/workspaces/{wid}/webhooks/{id}/deliveries/{did}', params)));
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [wid, webhookId, delivery.id]);

  useEffect(() => {
    if (open) void loadDetail();
  }, [open, loadDetail]);

  // While a delivery is still in flight (pending, retrying), keep its attempts current.
  const inFlight = open && (detail?.status === 'pending' || detail?.status === 'retrying');
  useEffect(() => {
    if (!inFlight) return;
    const timer = setTimeout(() => void loadDetail(), 2000);
    return () => clearTimeout(timer);
  }, [inFlight, detail, loadDetail]);

  const shown = detail ?? delivery;
  return (
    <>
      <tr className={open ? 'selected' : undefined}>
        <td>{formatTime(delivery.createdAt)}</td>
        <td className="mono">{delivery.eventType}</td>
        <td>
          <StatusBadge status={shown.status} />
        </td>
        <td>{shown.attemptCount}</td>
        <td>{shown.responseStatus ?? '—'}</td>
        <td>{shown.lastDurationMs !== null ? `${shown.lastDurationMs} ms` : '—'}</td>
        <td>
          <button type="button" aria-expanded={open} aria-label={`Details of ${delivery.eventType} at ${formatTime(delivery.createdAt)}`} onClick={onToggle}>
            Details
          </button>
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={7}>
            <section aria-label="Delivery detail" className="delivery-detail">
              <Alert>{error}</Alert>
              <p className="small">
                Message id (webhook-id) <code>{delivery.eventId}</code>
                {shown.nextAttemptAt && <> · next attempt {formatTime(shown.nextAttemptAt)}</>}
              </p>
              <div className="row-actions">
                {canManage && (
                  <button
                    type="button"
                    onClick={async () => {
                      setError(null);
                      try {
                        await call(api.POST('/v1/workspaces/{wid}/webhooks/{id}/deliveries/{did}/redeliver', params));
                        onRedelivered();
                        await loadDetail();
                      } catch (err) {
                        setError(errorMessage(err));
                      }
                    }}
                  >
                    Redeliver
                  </button>
                )}
                <button type="button" onClick={() => void loadDetail()}>
                  Refresh attempts
                </button>
              </div>
              {detail?.requestBody && (
                <details>
                  <summary>Body sent</summary>
                  <pre tabIndex={0}>{pretty(detail.requestBody)}</pre>
                </details>
              )}
              {detail && detail.attempts.length === 0 && <p className="muted">No attempt yet.</p>}
              <ol className="attempts">
                {detail?.attempts.map((a) => (
                  <li key={a.number} className="attempt">
                    <h4>
                      Attempt {a.number} · {formatTime(a.startedAt)} · {a.durationMs} ms ·{' '}
                      {a.responseStatus !== null ? `HTTP ${a.responseStatus}` : 'no response'}
                      {a.error && <> · error {a.error}</>}
                    </h4>
                    {a.errorMessage && <p className="small">{a.errorMessage}</p>}
                    <div className="attempt-grid">
                      <div>
                        <h5>Request headers</h5>
                        <Headers headers={a.requestHeaders} />
                      </div>
                      <div>
                        <h5>Response headers</h5>
                        {a.responseHeaders ? <Headers headers={a.responseHeaders} /> : <p className="muted">—</p>}
                      </div>
                    </div>
                    <h5>Response body</h5>
                    <pre tabIndex={0}>{a.responseBody ?? '—'}</pre>
                  </li>
                ))}
              </ol>
            </section>
          </td>
        </tr>
      )}
    </>
  );
}

function Headers({ headers }: { headers: Record<string, unknown> }) {
  return (
    <dl className="headers">
      {Object.entries(headers).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
