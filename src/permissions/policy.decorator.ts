import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Action, SubjectType } from './subjects';

export const POLICY = 'permissions:policy';

export interface PolicySpec {
  action: Action;
  subject: SubjectType;
  /** false: a person's session only (403 for API keys). */
  allowApiKey: boolean;
}

/**
 * Why some routes refuse API keys: a leaked key must not be able to grant lasting access (add a
 * member, change a role or a team's members, mint or revoke keys, delete the workspace). Those need a signed-in person.
 */
export const API_KEY_REFUSED = 'API keys may not change members, roles, team membership or API keys, or delete a workspace: sign in as a person to do this';

/**
 * A workspace route (`:wid` in its path): the caller must be a member (else 404) whose role may
 * ever do `action` on `subject` (else 403). Row-level checks follow in the service.
 * `allowApiKey: false`: a session token only; an API key gets 403 (API_KEY_REFUSED).
 */
export function Policy(action: Action, subject: SubjectType, options: { allowApiKey?: boolean } = {}) {
  const allowApiKey = options.allowApiKey ?? true;
  return applyDecorators(
    SetMetadata(POLICY, { action, subject, allowApiKey } satisfies PolicySpec),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or invalid token' }),
    ApiForbiddenResponse({
      description: `The caller's role may not ${action} ${subject}${allowApiKey ? '' : ', or the caller is an API key (a signed-in person only)'}`,
    }),
    ApiNotFoundResponse({ description: 'Not found, in another workspace, or not readable by the caller' }),
  );
}
