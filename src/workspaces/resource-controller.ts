import { Body, Delete, Get, HttpCode, Inject, Patch, Post, Query, Type, ValidationPipe } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { EventSubject } from '../events/event-catalog';
import { Policy } from '../permissions/policy.decorator';
import type { SubjectType } from '../permissions/subjects';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageDto, PageQueryDto } from '../kernel/pagination';
import { VALIDATION_OPTIONS } from '../kernel/validation';
import { WorkspaceController } from '../kernel/workspace-route';
import { UuidParam } from '../kernel/uuid-param.decorator';

export interface ResourceService<C, U, V> {
  create(ctx: WorkspaceContext, dto: C): Promise<V>;
  list(ctx: WorkspaceContext, page: PageQueryDto): Promise<PageDto<V>>;
  get(ctx: WorkspaceContext, id: string): Promise<V>;
  update(ctx: WorkspaceContext, id: string, dto: U): Promise<V>;
  remove(ctx: WorkspaceContext, id: string): Promise<void>;
}

export interface ResourceRoutes<C, U, V> {
  path: string;
  subject: SubjectType;
  eventSubject: EventSubject;
  service: Type<ResourceService<C, U, V>>;
  createDto: Type<C>;
  updateDto: Type<U>;
  view: Type<V>;
}

/**
 * The five CRUD routes of a platform resource, each with its policy and Swagger documentation.
 * Bodies are validated against the given DTO classes (the generic parameter types are erased).
 */
export function ResourceController<C, U, V>(r: ResourceRoutes<C, U, V>) {
  const label = r.subject.toLowerCase();
  const aLabel = `${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label}`;
  const body = (expectedType: Type<unknown>) => Body(new ValidationPipe({ ...VALIDATION_OPTIONS, expectedType }));

  @WorkspaceController(r.path, r.path)
  class CrudController {
    constructor(@Inject(r.service) readonly service: ResourceService<C, U, V>) {}

    @Post()
    @Policy('create', r.subject)
    @ApiOperation({ summary: `Create ${aLabel}` })
    @ApiBody({ type: r.createDto })
    @ApiCreatedResponse({ type: r.view, description: `Created; emits ${r.eventSubject}.created` })
    create(@CurrentWorkspace() ctx: WorkspaceContext, @body(r.createDto) dto: C) {
      return this.service.create(ctx, dto);
    }

    @Get()
    @Policy('read', r.subject)
    @ApiOperation({ summary: `List the ${label}s the caller may read` })
    @ApiPage(r.view)
    list(@CurrentWorkspace() ctx: WorkspaceContext, @Query() page: PageQueryDto) {
      return this.service.list(ctx, page);
    }

    @Get(':id')
    @Policy('read', r.subject)
    @ApiOperation({ summary: `Get ${aLabel}` })
    @ApiOkResponse({ type: r.view })
    get(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
      return this.service.get(ctx, id);
    }

    @Patch(':id')
    @Policy('update', r.subject)
    @ApiOperation({ summary: `Update ${aLabel}` })
    @ApiBody({ type: r.updateDto })
    @ApiOkResponse({ type: r.view, description: `Updated; emits ${r.eventSubject}.updated when a field changed` })
    update(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @body(r.updateDto) dto: U) {
      return this.service.update(ctx, id, dto);
    }

    @Delete(':id')
    @HttpCode(204)
    @Policy('delete', r.subject)
    @ApiOperation({ summary: `Delete ${aLabel}` })
    @ApiNoContentResponse({ description: `Deleted; emits ${r.eventSubject}.deleted` })
    async remove(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string): Promise<void> {
      await this.service.remove(ctx, id);
    }
  }
  return CrudController;
}
