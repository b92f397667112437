import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
/** A built-in role (what invitations grant); a member's role may also be `custom`. */
export type Role = Schemas['CreateInvitationDto']['role'];
export type EventType = Schemas['EventTypeView']['type'];

const TOKEN_KEY = 'cc.token';

/** The session token, kept across reloads and tabs; logging out revokes it on the server too. */
export const tokenStore = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (token: string): void => localStorage.setItem(TOKEN_KEY, token),
  clear: (): void => localStorage.removeItem(TOKEN_KEY),
};

/** Called when the API answers 401 to a signed-in request: the session ended elsewhere. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = tokenStore.get();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has('Authorization')) onUnauthorized();
    return response;
  },
};

/** Typed from the platform's own OpenAPI document (`npm run web:api`): UI and API cannot drift. */
export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

/** An API error as the console shows it: the status, a sentence, and messages keyed by the field they name. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: string[],
    readonly fields: Record<string, string[]>,
  ) {
    super(messages.join('. '));
  }
}

const DEFAULT_MESSAGES: Record<number, string> = {
  401: 'Your session has ended. Please log in again.',
  403: 'Your role in this workspace does not allow this.',
  404: 'Not found, or not visible to you.',
  409: 'That conflicts with something that already exists.',
  413: 'That is too large.',
  429: 'Too many requests. Please wait a moment and try again.',
};

/** class-validator messages start with the property ("url must be a URL address", "URL is required"): file each under its field. */
export function toApiError(status: number, body: unknown, fieldNames: readonly string[] = []): ApiError {
  const raw = (body as { message?: unknown } | undefined)?.message;
  const messages = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
  if (!messages.length) messages.push(DEFAULT_MESSAGES[status] ?? `The server answered ${status}.`);
  const fields: Record<string, string[]> = {};
  for (const message of messages) {
    const lower = message.toLowerCase();
    const field = fieldNames.find((name) => {
      const n = name.toLowerCase();
      return lower === n || lower.startsWith(`${n} `) || lower.startsWith(`${n}.`);
    });
    if (field) (fields[field] ??= []).push(message);
  }
  return new ApiError(status, messages, fields);
}

/** Unwraps an openapi-fetch result: the data, or a thrown ApiError. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
  fieldNames?: readonly string[],
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch {
    throw new ApiError(0, ['The server could not be reached. Check your connection and try again.'], {});
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error, fieldNames);
  return result.data as T;
}

export function errorMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const plain = DEFAULT_MESSAGES[err.status];
  // 403 and 404: one plain sentence first, then the server's detail when it adds something.
  if ((err.status === 403 || err.status === 404) && plain && err.message !== plain) return `${plain} (${err.message})`;
  return err.message;
}

/** Every page of a cursor-paged list (members, teams, keys: small lists the console shows whole). */
export async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<{ data?: unknown; nextCursor: string | null }>, maxPages = 20): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(cursor);
    rows.push(...((page.data ?? []) as T[]));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return rows;
}
