import { subject as asSubject } from '@casl/ability';
import { ForbiddenException } from '@nestjs/common';
import type { Action, AppAbility, SubjectType } from './subjects';
import type { WorkspaceContext } from './workspace-context';

/** Instance check of a plain object (a row or a payload) against a string subject type. */
export function can(ability: AppAbility, action: Action, subjectType: SubjectType, object: object): boolean {
  return ability.can(action, asSubject(subjectType, { ...object }) as unknown as Record<string, unknown>);
}

/** 403 unless the caller's ability allows `action` on this object. */
export function authorize(ctx: WorkspaceContext, action: Action, subjectType: SubjectType, object: object): void {
  if (!can(ctx.ability, action, subjectType, object)) {
    throw new ForbiddenException(`Your role (${ctx.role}) may not ${action} this ${subjectType}`);
  }
}
