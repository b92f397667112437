import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Action, SubjectType } from './subjects';

export const POLICY = 'permissions:policy';
export const SIGNED_IN = 'permissions:signed-in';

export interface PolicySpec {
  action: Action;
  subject: SubjectType;
}

/**
 * A workspace route (`:wid` in its path): the caller must be a member (else 404) whose role may
 * ever do `action` on `subject` (else 403). Row-level checks follow in the service.
 */
export function Policy(action: Action, subject: SubjectType) {
  return applyDecorators(
    SetMetadata(POLICY, { action, subject } satisfies PolicySpec),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or invalid token' }),
    ApiForbiddenResponse({ description: `The caller's role may not ${action} ${subject}` }),
    ApiNotFoundResponse({ description: 'Not found, in another workspace, or not readable by the caller' }),
  );
}

/** A route outside any workspace that any signed-in user may call (API keys only where allowed). */
export function SignedIn(options: { allowApiKey?: boolean } = {}) {
  return applyDecorators(
    SetMetadata(SIGNED_IN, { allowApiKey: options.allowApiKey ?? false }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or invalid token' }),
  );
}
