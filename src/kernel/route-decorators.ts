import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';

/** Read by the policies guard (permissions): a route any signed-in user may call. */
export const SIGNED_IN = 'permissions:signed-in';

/** A route outside any workspace that any signed-in user may call (API keys only where allowed). */
export function SignedIn(options: { allowApiKey?: boolean } = {}) {
  return applyDecorators(
    SetMetadata(SIGNED_IN, { allowApiKey: options.allowApiKey ?? false }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or invalid token' }),
  );
}
