import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { EventSubject } from '../events/event-catalog';
import { previousAttributes } from '../events/event-diff';
import { EventPublisher, PublishInput, RowChange } from '../events/event-publisher.service';
import { AbilityService } from '../permissions/ability.service';
import { authorize } from '../permissions/authorize';
import { readableView } from '../permissions/readable-fields';
import type { Action, SubjectType } from '../permissions/subjects';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';

export interface ScopedCrudOptions<T extends ObjectLiteral, V extends Record<string, unknown>> {
  entity: EntityTarget<T>;
  subject: SubjectType;
  /** The event subject: `<eventSubject>.created|updated|deleted`. */
  eventSubject: EventSubject;
  notFound: string;
  toView: (row: T) => V;
}

/**
 * Create/list/get/update/delete of a workspace-owned, permission-scoped, event-emitting resource.
 * Every path asks the caller's CASL ability: reads and lists through SQL built from its rules,
 * writes through an instance check. Each write and its event commit together: a create in one
 * statement, an update or delete in one transaction.
 */
export class ScopedCrud<T extends ObjectLiteral & { id: string; workspaceId: string }, V extends Record<string, unknown>> {
  constructor(
    protected readonly dataSource: DataSource,
    private readonly abilities: AbilityService,
    private readonly events: EventPublisher,
    private readonly options: ScopedCrudOptions<T, V>,
  ) {}

  protected transaction<R>(work: (tx: EntityManager) => Promise<R>): Promise<R> {
    return this.dataSource.transaction(work);
  }

  /** A query over the rows of this workspace that the caller may `action`. */
  scopedQuery(ctx: WorkspaceContext, action: Action = 'read', manager: EntityManager = this.dataSource.manager): SelectQueryBuilder<T> {
    const qb = manager.getRepository(this.options.entity).createQueryBuilder('row').where('row.workspaceId = :workspaceId', {
      workspaceId: ctx.workspaceId,
    });
    return this.abilities.scope(qb, ctx.ability, action, this.options.subject, this.options.entity);
  }

  list(ctx: WorkspaceContext, page: PageQueryDto): Promise<PageDto<V>> {
    return paginate(this.scopedQuery(ctx), page, (row) => this.readable(ctx, this.options.toView(row)));
  }

  async get(ctx: WorkspaceContext, id: string): Promise<V> {
    return this.readable(ctx, this.options.toView(await this.findReadable(ctx, id)));
  }

  /** The view without the fields the caller may not read (a custom role's `fields`). */
  readable(ctx: WorkspaceContext, view: V): V {
    return readableView(ctx.ability, this.options.subject, view);
  }

  /** 404 unless the row exists in this workspace and the caller may read it. */
  async findReadable(ctx: WorkspaceContext, id: string, manager?: EntityManager, forUpdate = false): Promise<T> {
    const qb = this.scopedQuery(ctx, 'read', manager).andWhere('row.id = :id', { id });
    if (forUpdate) qb.setLock('pessimistic_write');
    const row = await qb.getOne();
    if (!row) throw new NotFoundException(this.options.notFound);
    return row;
  }

  assertCan(ctx: WorkspaceContext, action: Action, values: object): void {
    authorize(ctx, action, this.options.subject, values);
  }

  /**
   * The row and its `created` event in one statement. The id and timestamps are made here, so the
   * event's object is known before the write and is exactly what the API returns.
   */
  async create(ctx: WorkspaceContext, values: Partial<T>): Promise<V> {
    const draft = { ...this.definedFields(values), workspaceId: ctx.workspaceId } as Partial<T>;
    this.assertCan(ctx, 'create', draft);
    const now = new Date();
    const row = this.dataSource.getRepository(this.options.entity).create({ ...draft, id: randomUUID(), createdAt: now, updatedAt: now } as never) as unknown as T;
    const view = this.options.toView(row);
    await this.events.publishWith(this.insertStatement(row), this.eventInput(ctx, 'created', view));
    return this.readable(ctx, view);
  }

  /** INSERT of the row's defined columns; the others take their database defaults. */
  private insertStatement(row: T): RowChange {
    const metadata = this.dataSource.getMetadata(this.options.entity);
    const columns: string[] = [];
    const params: unknown[] = [];
    for (const column of metadata.columns) {
      const value = column.getEntityValue(row);
      if (value === undefined || columns.includes(column.databaseName)) continue;
      columns.push(column.databaseName);
      params.push(value);
    }
    return {
      sql: `INSERT INTO "${metadata.tableName}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')})`,
      params,
    };
  }

  /**
   * Applies `patch` to a row the caller may read (else 404) and update, before and after the change
   * (else 403). An update that changes nothing is not saved and emits nothing.
   */
  async update(
    ctx: WorkspaceContext,
    id: string,
    patch: Partial<T>,
    /** Derives dependent fields (e.g. a valuation's teamId) on the merged row before checks. */
    prepare?: (tx: EntityManager, row: T) => Promise<void>,
  ): Promise<V> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.findReadable(ctx, id, tx, true);
      this.assertCan(ctx, 'update', row);
      const before = this.options.toView(row);
      Object.assign(row, this.definedFields(patch));
      await prepare?.(tx, row);
      // Checked again after the change: a member may not move a row out of their own scope.
      this.assertCan(ctx, 'update', row);
      const changed = previousAttributes(before, this.options.toView(row));
      if (Object.keys(changed).length === 0) return this.readable(ctx, before);
      // The row is already loaded and locked: write just the changed columns (save() would load it again).
      const values: Record<string, unknown> = { updatedAt: new Date() };
      for (const key of Object.keys(changed)) values[key] = row[key];
      await tx.getRepository(this.options.entity).update({ id: row.id } as never, values as never);
      Object.assign(row, values);
      const view = this.options.toView(row);
      await this.publish(tx, ctx, 'updated', view, changed);
      return this.readable(ctx, view);
    });
  }

  async remove(ctx: WorkspaceContext, id: string, beforeDelete?: (tx: EntityManager, row: T) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const row = await this.findReadable(ctx, id, tx, true);
      this.assertCan(ctx, 'delete', row);
      await beforeDelete?.(tx, row);
      const view = this.options.toView(row);
      await tx.getRepository(this.options.entity).delete({ id: row.id } as never);
      await this.publish(tx, ctx, 'deleted', view);
    });
  }

  /** Drops absent fields; refuses null for a column that may not be null (400, nothing written). */
  private definedFields(patch: Partial<T>): Partial<T> {
    const metadata = this.dataSource.getMetadata(this.options.entity);
    const defined: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null && !metadata.findColumnWithPropertyName(key)?.isNullable) {
        throw new BadRequestException([`${key} must not be null`]);
      }
      defined[key] = value;
    }
    return defined as Partial<T>;
  }

  private publish(tx: EntityManager, ctx: WorkspaceContext, action: string, object: V, changed?: Record<string, unknown>) {
    return this.events.publish(tx, this.eventInput(ctx, action, object, changed));
  }

  private eventInput(ctx: WorkspaceContext, action: string, object: V, changed?: Record<string, unknown>): PublishInput {
    return {
      type: `${this.options.eventSubject}.${action}`,
      workspaceId: ctx.workspaceId,
      actor: ctx.actor,
      object,
      previousAttributes: changed,
    };
  }
}

/**
 * An injectable ScopedCrud for one resource: `class XService extends ScopedCrudService({...}) {}`,
 * overriding only what differs (reference checks, derived fields).
 */
export function ScopedCrudService<T extends ObjectLiteral & { id: string; workspaceId: string }, V extends Record<string, unknown>>(
  options: ScopedCrudOptions<T, V>,
) {
  @Injectable()
  class Service extends ScopedCrud<T, V> {
    constructor(@InjectDataSource() dataSource: DataSource, abilities: AbilityService, events: EventPublisher) {
      super(dataSource, abilities, events, options);
    }
  }
  return Service;
}
