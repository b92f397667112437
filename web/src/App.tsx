import { useEffect, useState, type ReactNode } from 'react';
import { Link, Redirect, Route, Switch, useLocation, useParams } from 'wouter';
import { api, call, type Schemas } from './api/client';
import { Alert } from './components/ui';
import { AccountPage, ForgotPasswordPage, ResetPasswordPage, VerifyBanner, VerifyEmailPage } from './pages/AccountPages';
import { AuthPage } from './pages/AuthPage';
import { CreateWorkspaceForm } from './pages/CreateWorkspaceForm';
import { MembersPage } from './pages/MembersPage';
import { MyInvitationsPage } from './pages/MyInvitationsPage';
import { WebhookLogsPage } from './pages/WebhookLogsPage';
import { AuditLogPage, DeliverySearchPage, EventDecisionsPage } from './pages/OperationsPages';
import { WebhooksPage } from './pages/WebhooksPage';
import { useSession } from './session';
import { WorkspaceProvider } from './workspace';

export const developersPath = (wid: string) => `/w/${wid}/settings/developers`;

export function App() {
  const { me, loading } = useSession();
  if (loading) return <p className="muted" role="status">Loading…</p>;
  if (!me) {
    return (
      <Switch>
        <Route path="/signup">
          <AuthPage mode="signup" />
        </Route>
        <Route path="/login">
          <AuthPage mode="login" />
        </Route>
        <Route path="/forgot-password">
          <main id="main" className="auth">
            <ForgotPasswordPage />
          </main>
        </Route>
        <Route path="/reset-password">
          <main id="main" className="auth">
            <ResetPasswordPage />
          </main>
        </Route>
        <Route path="/verify-email">
          <main id="main" className="auth">
            <VerifyEmailPage />
          </main>
        </Route>
        <Route>
          <Redirect to="/login" replace />
        </Route>
      </Switch>
    );
  }
  return (
    <Switch>
      <Route path="/invitations">
        <AccountShell>
          <MyInvitationsPage />
        </AccountShell>
      </Route>
      <Route path="/account">
        <AccountShell>
          <AccountPage />
        </AccountShell>
      </Route>
      <Route path="/verify-email">
        <AccountShell>
          <VerifyEmailPage />
        </AccountShell>
      </Route>
      <Route path="/reset-password">
        <AccountShell>
          <ResetPasswordPage />
        </AccountShell>
      </Route>
      <Route path="/w/:wid/*?">
        <WorkspaceShell />
      </Route>
      <Route>
        <Home />
      </Route>
    </Switch>
  );
}

/** Pages about the person rather than a workspace: the header and the page. */
function AccountShell({ children }: { children: ReactNode }) {
  return (
    <div className="page narrow">
      <Header />
      <VerifyBanner />
      <main id="main">{children}</main>
    </div>
  );
}

/** After sign-in: the first workspace, or a form to create one. */
function Home() {
  const { me } = useSession();
  const first = me?.memberships[0]?.workspaceId;
  if (first) return <Redirect to={developersPath(first)} replace />;
  return (
    <div className="page narrow">
      <Header />
      <VerifyBanner />
      <main id="main">
        <h1>Create your first workspace</h1>
        <p>A workspace holds your team's investments, members and webhooks.</p>
        <p>
          Invited to a workspace? Accept it in <Link href="/invitations">your invitations</Link>.
        </p>
        <CreateWorkspaceForm />
      </main>
    </div>
  );
}

function Header({ wid }: { wid?: string }) {
  const { me, signOut } = useSession();
  const [, navigate] = useLocation();
  return (
    <header className="topbar">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <Link href="/" className="brand">
        Countercyclical
      </Link>
      {wid && <WorkspaceSwitcher wid={wid} />}
      <span className="spacer" />
      <Link href="/invitations">My invitations</Link>
      <Link href="/account">Account</Link>
      <span className="muted">{me?.email}</span>
      <button
        type="button"
        onClick={async () => {
          await signOut();
          navigate('/login');
        }}
      >
        Log out
      </button>
    </header>
  );
}

function WorkspaceSwitcher({ wid }: { wid: string }) {
  const [workspaces, setWorkspaces] = useState<Schemas['WorkspaceView'][]>([]);
  const [creating, setCreating] = useState(false);
  const [location, navigate] = useLocation();
  useEffect(() => {
    call(api.GET('/v1/workspaces', { params: { query: { limit: 100 } } }))
      .then((page) => setWorkspaces((page.data ?? []) as Schemas['WorkspaceView'][]))
      .catch(() => setWorkspaces([]));
  }, [wid]);
  return (
    <div className="switcher">
      <label htmlFor="workspace-switcher">Workspace</label>
      <select
        id="workspace-switcher"
        value={wid}
        // Same section in the other workspace; a webhook's logs do not carry over, so back to Developers.
        onChange={(e) => navigate(location.includes('/settings/members') ? `/w/${e.target.value}/settings/members` : developersPath(e.target.value))}
      >
        {!workspaces.some((w) => w.id === wid) && <option value={wid}>…</option>}
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name} ({w.role})
          </option>
        ))}
      </select>
      <button type="button" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
        New workspace
      </button>
      {creating && (
        <div className="popover">
          <CreateWorkspaceForm onCreated={() => setCreating(false)} />
        </div>
      )}
    </div>
  );
}

function WorkspaceShell() {
  const { wid } = useParams<{ wid: string }>();
  const [location] = useLocation();
  const base = `/w/${wid}/settings`;
  const nav = [
    { href: `${base}/developers`, label: 'Developers' },
    { href: `${base}/members`, label: 'Members' },
    { href: `${base}/deliveries`, label: 'Deliveries' },
    { href: `${base}/audit-log`, label: 'Audit log' },
  ];
  return (
    <div className="page">
      <Header wid={wid} />
      <VerifyBanner />
      <div className="layout">
        <nav aria-label="Settings" className="sidenav">
          <p className="nav-heading">Settings › Workspace › Advanced</p>
          <ul>
            {nav.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={location.startsWith(item.href) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">
          <WorkspaceProvider
            key={wid}
            wid={wid}
            fallback={(error) => (
              <>
                <h1>Workspace unavailable</h1>
                <Alert>{error}</Alert>
                <Link href="/">Go to your workspaces</Link>
              </>
            )}
          >
            <Switch>
              <Route path="/w/:wid/settings/developers/webhooks/:id/logs">
                {(params) => <WebhookLogsPage webhookId={params.id} />}
              </Route>
              <Route path="/w/:wid/settings/developers">
                <WebhooksPage />
              </Route>
              <Route path="/w/:wid/settings/members">
                <MembersPage />
              </Route>
              <Route path="/w/:wid/settings/deliveries">
                <DeliverySearchPage />
              </Route>
              <Route path="/w/:wid/settings/events/:eventId">
                {(params) => <EventDecisionsPage eventId={params.eventId} />}
              </Route>
              <Route path="/w/:wid/settings/audit-log">
                <AuditLogPage />
              </Route>
              <Route>
                <Redirect to={developersPath(wid)} replace />
              </Route>
            </Switch>
          </WorkspaceProvider>
        </main>
      </div>
    </div>
  );
}
