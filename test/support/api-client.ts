import { randomUUID } from 'node:crypto';
import { mailboxFor } from './mailbox';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin HTTP client for the black-box tests: what a customer's client would send. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<ApiResponse<T>> {
    const response = await fetch(this.baseUrl + path, {
      method,
      signal,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
  token: string;
  api: ApiClient;
  /** Whether the user proved their address (verifyEmail()); needed to accept invitations. */
  verified: boolean;
}

/** A password every signup accepts (≥ 10 characters, not a commonly breached one). */
export const TEST_PASSWORD = 'password-123';

/** A new account (its e-mail not yet verified: see verifyEmail()). */
export async function signup(api: ApiClient, name = 'User'): Promise<TestUser> {
  const email = `${name.toLowerCase().replace(/\W/g, '')}-${randomUUID()}@example.com`;
  const res = await api.post('/v1/auth/signup', { email, name, password: TEST_PASSWORD });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, email, name, password: TEST_PASSWORD, token: res.body.token, api: api.as(res.body.token), verified: false };
}

/**
 * Verifies the user's address as a person does: waits for the verification mail the platform
 * sent to the app's test SMTP server and posts the token from its link.
 */
export async function verifyEmail(user: TestUser): Promise<void> {
  if (user.verified) return;
  const mailbox = mailboxFor(user.api.baseUrl);
  await mailbox.waitFor(user.email, 'verify-email');
  const mails = mailbox.to(user.email, 'verify-email');
  const token = /[?&]token=([A-Za-z0-9_%-]+)/.exec(mails[mails.length - 1].text)?.[1];
  const res = await user.api.post('/v1/auth/verify-email', { token: decodeURIComponent(token ?? '') });
  if (res.status !== 200) throw new Error(`verify-email failed: ${res.status} ${JSON.stringify(res.body)}`);
  user.verified = true;
}

/**
 * Makes `user` a member of the workspace with `role`, the only way there is: `by` (an admin or
 * owner) invites the address, and the user, verified, accepts.
 */
export async function addMember(by: TestUser, workspaceId: string, user: TestUser, role: string): Promise<void> {
  await verifyEmail(user);
  const invited = await by.api.post(`/v1/workspaces/${workspaceId}/invitations`, { email: user.email, role });
  if (invited.status !== 201) throw new Error(`invitation failed: ${invited.status} ${JSON.stringify(invited.body)}`);
  const accepted = await user.api.post(`/v1/me/invitations/${invited.body.id}/accept`);
  if (accepted.status !== 200) throw new Error(`accepting the invitation failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
}

export interface TestWorkspace {
  id: string;
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  viewer: TestUser;
  outsider: TestUser;
  /** Team A has the member and the viewer; team B has nobody but admins' reach. */
  teamA: string;
  teamB: string;
}

/** A workspace with one user per role, two teams, and an outsider in another workspace. */
export async function seedWorkspace(api: ApiClient): Promise<TestWorkspace> {
  const [owner, admin, member, viewer, outsider] = await Promise.all(
    ['Owner', 'Admin', 'Member', 'Viewer', 'Outsider'].map((n) => signup(api, n)),
  );
  const ws = await owner.api.post('/v1/workspaces', { name: 'Fund I' });
  const id = ws.body.id as string;
  await Promise.all(([[admin, 'admin'], [member, 'member'], [viewer, 'viewer']] as const).map(([user, role]) => addMember(owner, id, user, role)));
  await outsider.api.post('/v1/workspaces', { name: 'Elsewhere' });
  const teamA = (await owner.api.post(`/v1/workspaces/${id}/teams`, { name: 'Team A' })).body.id as string;
  const teamB = (await owner.api.post(`/v1/workspaces/${id}/teams`, { name: 'Team B' })).body.id as string;
  for (const user of [member, viewer]) await owner.api.put(`/v1/workspaces/${id}/teams/${teamA}/members/${user.id}`);
  return { id, owner, admin, member, viewer, outsider, teamA, teamB };
}
