import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import { PageDto } from './pagination';

/** Documents a `{data: T[], nextCursor}` page of `view`. */
export function ApiPage(view: Type<unknown>) {
  return applyDecorators(
    ApiExtraModels(PageDto, view),
    ApiOkResponse({
      description: 'Newest first; pass nextCursor as ?cursor= for the next page',
      schema: {
        allOf: [
          { $ref: getSchemaPath(PageDto) },
          { properties: { data: { type: 'array', items: { $ref: getSchemaPath(view) } } } },
        ],
      },
    }),
  );
}
