import { Body, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { UuidParam } from '../kernel/uuid-param.decorator';
import { WorkspaceController } from '../kernel/workspace-route';
import { ROLE_INVARIANTS } from '../permissions/custom-role';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { CreateRoleDto, RoleView, UpdateRoleDto } from './role.dto';
import { RolesService } from './roles.service';

const INVARIANTS = Object.values(ROLE_INVARIANTS).map((i) => `"${i}"`).join(', ');

@WorkspaceController('roles', 'roles')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @Policy('read', 'Role')
  @ApiOperation({ summary: 'The built-in roles (read-only) and the custom roles of the workspace' })
  @ApiOkResponse({ type: [RoleView] })
  list(@CurrentWorkspace() ctx: WorkspaceContext) {
    return this.roles.list(ctx);
  }

  @Get(':id')
  @Policy('read', 'Role')
  @ApiOperation({ summary: 'A custom role' })
  @ApiOkResponse({ type: RoleView })
  get(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.roles.get(ctx, id);
  }

  @Post()
  @Policy('create', 'Role', { allowApiKey: false })
  @ApiOperation({ summary: `Create a custom role (admins and owners); 400 names a broken invariant (${INVARIANTS})` })
  @ApiCreatedResponse({ type: RoleView })
  @ApiBadRequestResponse({ description: 'Invalid permissions, or a permission breaking an invariant (named in the message)' })
  @ApiConflictResponse({ description: 'A role with this name exists' })
  create(@CurrentWorkspace() ctx: WorkspaceContext, @Body() dto: CreateRoleDto) {
    return this.roles.create(ctx, dto);
  }

  @Patch(':id')
  @Policy('update', 'Role', { allowApiKey: false })
  @ApiOperation({ summary: 'Change a custom role; every member holding it follows on their next request and event' })
  @ApiOkResponse({ type: RoleView })
  @ApiBadRequestResponse({ description: 'Invalid permissions, or a permission breaking an invariant (named in the message)' })
  @ApiConflictResponse({ description: 'A role with this name exists' })
  update(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string, @Body() dto: UpdateRoleDto) {
    return this.roles.update(ctx, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('delete', 'Role', { allowApiKey: false })
  @ApiOperation({ summary: 'Delete a custom role (409 while a member holds it)' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'Members hold the role' })
  remove(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('id') id: string) {
    return this.roles.remove(ctx, id);
  }
}
