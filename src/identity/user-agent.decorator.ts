import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * The request's User-Agent, recorded with a session. A custom decorator rather than
 * `@Headers('user-agent')`, which Swagger would publish as a required header parameter.
 */
export const UserAgent = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['user-agent'],
);
