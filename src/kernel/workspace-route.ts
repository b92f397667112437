import { applyDecorators, Controller } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';

/** A controller under `/v1/workspaces/:wid/<path>`; the policies guard resolves `:wid`. */
export function WorkspaceController(path: string, tag: string) {
  return applyDecorators(
    Controller(`v1/workspaces/:wid/${path}`),
    ApiTags(tag),
    ApiParam({ name: 'wid', type: String, format: 'uuid', description: 'Workspace id' }),
  );
}
