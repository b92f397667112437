import { subject } from '@casl/ability';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, call, errorMessage, type Schemas } from '../api/client';
import { Alert, ConfirmDialog, formatTime, SecretBox, StatusBadge } from '../components/ui';
import { useWorkspace } from '../workspace';
import { WebhookForm } from './WebhookForm';
import { failingText, HealthBanner } from './OperationsPages';

type Webhook = Schemas['WebhookView'];
type Delivery = Schemas['DeliveryView'];

const DISABLED_REASONS: Record<string, string> = {
  gone: 'the endpoint answered 410 Gone',
  failing: 'every delivery failed for too long',
  creator_removed: 'its creator left the workspace',
};

/** What the panel under the list shows: a form, a secret, or nothing. */
type Panel =
  | { kind: 'create' }
  | { kind: 'edit'; webhook: Webhook }
  | { kind: 'secret'; webhook: Webhook; secret: string; reason: 'created' | 'revealed' | 'rotated' }
  | null;

/** Settings › Workspace › Advanced › Developers › Webhooks. */
export function WebhooksPage() {
  const { workspace, ability } = useWorkspace();
  const wid = workspace.id;
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [last, setLast] = useState<Record<string, Delivery | null>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [confirm, setConfirm] = useState<{ kind: 'delete' | 'rotate'; webhook: Webhook } | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await call(api.GET('/v1/workspaces/{wid}/webhooks', { params: { path: { wid }, query: { limit: 100 } } }));
      const list = (page.data ?? []) as Webhook[];
      setWebhooks(list);
      // The newest delivery of each webhook: its "last delivery status".
      const latest = await Promise.all(
        list.map((w) =>
          call(api.GET('/v1/workspaces/{wid}/webhooks/{id}/deliveries', { params: { path: { wid, id: w.id }, query: { limit: 1 } } }))
            .then((p) => [w.id, ((p.data ?? []) as Delivery[])[0] ?? null] as const)
            .catch(() => [w.id, null] as const),
        ),
      );
      setLast(Object.fromEntries(latest));
    } catch (err) {
      setError(errorMessage(err));
      setWebhooks([]);
    }
  }, [wid]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (work: () => Promise<string | void>) => {
    setError(null);
    setNotice(null);
    try {
      const message = await work();
      await load();
      if (message) setNotice(message);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const path = (w: Webhook) => ({ params: { path: { wid, id: w.id } } });
  const canCreate = ability.can('create', 'Webhook');

  return (
    <>
      <p className="breadcrumb">Settings › Workspace › Advanced › Developers</p>
      <h1>Developers</h1>
      <section aria-labelledby="webhooks-heading" className="section">
        <div className="section-head">
          <h2 id="webhooks-heading">Webhooks</h2>
          {canCreate && (
            <button type="button" className="primary" onClick={() => setPanel({ kind: 'create' })} disabled={panel?.kind === 'create'}>
              Create Webhook
            </button>
          )}
        </div>
        <p className="muted">
          Subscribe to real-time events: we POST a signed JSON message to your URL when one of the selected events happens in{' '}
          {workspace.name}. Webhooks receive only what their creator may read.
        </p>
        <Alert>{error}</Alert>
        <Alert kind="success">{notice}</Alert>
        {webhooks && <HealthBanner webhooks={webhooks} />}

        {panel?.kind === 'create' || panel?.kind === 'edit' ? (
          <WebhookForm
            wid={wid}
            webhook={panel.kind === 'edit' ? panel.webhook : undefined}
            onCancel={() => setPanel(null)}
            onSaved={async (saved) => {
              setPanel(saved.secret ? { kind: 'secret', webhook: saved, secret: saved.secret, reason: 'created' } : null);
              setNotice(panel.kind === 'edit' ? `Saved ${saved.name}.` : `Created ${saved.name}.`);
              await load();
            }}
          />
        ) : null}

        {panel?.kind === 'secret' && (
          <div className="card" role="region" aria-label={`Signing secret of ${panel.webhook.name}`}>
            <SecretBox
              label="Signing secret"
              value={panel.secret}
              note={
                panel.reason === 'created'
                  ? 'Copy it now: verify each request’s webhook-signature with it. It is shown here only once; people allowed to manage this webhook can reveal it later.'
                  : panel.reason === 'rotated'
                    ? 'The new secret signs every message from now on. For an overlap period (24 hours by default) messages are also signed with the previous secret, so your receiver keeps verifying while you deploy the new one.'
                    : 'Keep it private: anyone with it can forge messages from us.'
              }
            />
            <button type="button" onClick={() => setPanel(null)}>
              Done
            </button>
          </div>
        )}

        {webhooks === null ? (
          <p className="muted" role="status">
            Loading webhooks…
          </p>
        ) : webhooks.length === 0 ? (
          <p className="empty">No webhooks yet.{canCreate ? ' Click Create Webhook to add one.' : ''}</p>
        ) : (
          <div className="table-wrap">
            <table className="webhooks">
              <caption className="sr-only">Webhooks of {workspace.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Last delivery</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {webhooks.map((w) => {
                  const manage = ability.can('update', subject('Webhook', { ...w }));
                  const remove = ability.can('delete', subject('Webhook', { ...w }));
                  const delivery = last[w.id];
                  return (
                    <tr key={w.id}>
                      <th scope="row">
                        {w.name}
                        {w.description && <div className="muted small">{w.description}</div>}
                      </th>
                      <td className="mono break">{w.url}</td>
                      <td>
                        <details>
                          <summary>{w.events.length} events</summary>
                          <ul className="plain small">
                            {w.events.map((e) => (
                              <li key={e}>{e}</li>
                            ))}
                          </ul>
                        </details>
                      </td>
                      <td>
                        {w.enabled && w.health === 'failing' ? (
                          <>
                            <StatusBadge status="failing" />
                            <div className="small">{failingText(w)}</div>
                          </>
                        ) : w.enabled ? (
                          <StatusBadge status="enabled" />
                        ) : (
                          <>
                            <StatusBadge status="disabled" />
                            {w.disabledReason && <div className="small">Disabled because {DISABLED_REASONS[w.disabledReason] ?? w.disabledReason}.</div>}
                          </>
                        )}
                      </td>
                      <td>
                        {delivery ? (
                          <>
                            <StatusBadge status={delivery.status} /> <span className="small">{formatTime(delivery.updatedAt)}</span>
                          </>
                        ) : (
                          <span className="muted">None yet</span>
                        )}
                      </td>
                      <td>
                        <div className="row-actions">
                          <Link href={`/w/${wid}/settings/developers/webhooks/${w.id}/logs`} aria-label={`View Logs of ${w.name}`} className="button">
                            View Logs
                          </Link>
                          {manage && (
                            <>
                              <button type="button" aria-label={`Edit ${w.name}`} onClick={() => setPanel({ kind: 'edit', webhook: w })}>
                                Edit
                              </button>
                              <button
                                type="button"
                                aria-label={`${w.enabled ? 'Disable' : 'Enable'} ${w.name}`}
                                onClick={() =>
                                  act(async () => {
                                    await call(api.PATCH('/v1/workspaces/{wid}/webhooks/{id}', { ...path(w), body: { enabled: !w.enabled } }));
                                    return `${w.name} ${w.enabled ? 'disabled' : 'enabled'}.`;
                                  })
                                }
                              >
                                {w.enabled ? 'Disable' : 'Enable'}
                              </button>
                              <button
                                type="button"
                                aria-label={`Send test event to ${w.name}`}
                                onClick={() =>
                                  act(async () => {
                                    await call(api.POST('/v1/workspaces/{wid}/webhooks/{id}/test', path(w)));
                                    return `Test event sent to ${w.name}. Its delivery appears in View Logs.`;
                                  })
                                }
                              >
                                Send test event
                              </button>
                              <button
                                type="button"
                                aria-label={`Reveal secret of ${w.name}`}
                                onClick={() =>
                                  act(async () => {
                                    const { secret } = await call(api.GET('/v1/workspaces/{wid}/webhooks/{id}/secret', path(w)));
                                    setPanel({ kind: 'secret', webhook: w, secret, reason: 'revealed' });
                                  })
                                }
                              >
                                Reveal secret
                              </button>
                              <button type="button" aria-label={`Rotate secret of ${w.name}`} onClick={() => setConfirm({ kind: 'rotate', webhook: w })}>
                                Rotate secret
                              </button>
                            </>
                          )}
                          {remove && (
                            <button type="button" className="danger" aria-label={`Delete ${w.name}`} onClick={() => setConfirm({ kind: 'delete', webhook: w })}>
                              Delete
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {confirm?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${confirm.webhook.name}?`}
          confirmLabel="Delete webhook"
          onClose={() => setConfirm(null)}
          onConfirm={() =>
            act(async () => {
              await call(api.DELETE('/v1/workspaces/{wid}/webhooks/{id}', path(confirm.webhook)));
              if (panel && 'webhook' in panel && panel.webhook.id === confirm.webhook.id) setPanel(null);
              return `Deleted ${confirm.webhook.name}.`;
            })
          }
        >
          <p>It stops receiving events at once and its pending deliveries are cancelled. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {confirm?.kind === 'rotate' && (
        <ConfirmDialog
          title={`Rotate the secret of ${confirm.webhook.name}?`}
          confirmLabel="Rotate secret"
          onClose={() => setConfirm(null)}
          onConfirm={() =>
            act(async () => {
              const { secret } = await call(api.POST('/v1/workspaces/{wid}/webhooks/{id}/rotate-secret', path(confirm.webhook)));
              setPanel({ kind: 'secret', webhook: confirm.webhook, secret, reason: 'rotated' });
              return `Rotated the secret of ${confirm.webhook.name}.`;
            })
          }
        >
          <p>
            A new secret is generated. The old one keeps signing for an overlap period (24 hours by default): every message carries both
            signatures meanwhile, so deploy the new secret to your receiver before the overlap ends.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
