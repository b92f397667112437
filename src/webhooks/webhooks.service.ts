import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  OnModuleInit,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuditLogService } from '../audit/audit-log.service';
import { AbilityService } from '../permissions/ability.service';
import { authorize } from '../permissions/authorize';
import { abilityToSql } from '../permissions/rules-to-sql';
import { MemberRemovalHooks } from '../permissions/member-removal-hooks';
import type { AppAbility } from '../permissions/subjects';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { assertMayReceiveOperational, unreadableEventTypes } from './subscription-policy';
import { filterProblems } from './webhook-filter';
import { objectFieldsOf } from './webhook-filter-fields';
import { checkUrlSyntax, checkWebhookUrl } from './url-safety';
import { CreatedWebhookView, CreateWebhookDto, SecretView, toWebhookView, UpdateWebhookDto, WebhookView } from './webhook.dto';
import { Webhook } from './webhook.entity';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookRepository } from './webhook.repository';
import { retryTransientConflicts } from '../kernel/transient-conflicts';

/** Appended to every 422 for a non-public target: local receivers are a deployment setting, not a bug. */
export const PRIVATE_NETWORK_HINT =
  'Only public addresses are allowed; for local development, the platform can allow non-public targets with WEBHOOK_ALLOW_PRIVATE_NETWORK=true';

// pg_advisory_xact_lock(namespace, hashtext(workspaceId)): serialises webhook creation per workspace.
const CREATE_LOCK_NAMESPACE = 0x57484b01;

export interface FindWebhookOptions {
  manager?: EntityManager;
  /** Lock the row until the transaction of `manager` ends. */
  forUpdate?: boolean;
  /** Also load the `secrets` column (never selected by default). */
  withSecrets?: boolean;
}

/**
 * Webhook management. Who may do what comes from the caller's CASL ability alone: lists and
 * lookups are scoped by its rules in SQL (another member's webhook is simply not found), writes are
 * checked on the row. Webhook changes are configuration, not domain events: nothing is published.
 */
@Injectable()
export class WebhooksService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly abilities: AbilityService,
    private readonly secrets: WebhookSecretsService,
    private readonly removalHooks: MemberRemovalHooks,
    private readonly repository: WebhookRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditLogService,
  ) {}

  onModuleInit(): void {
    // A removed member's webhooks stop with the removal itself: disabled in the same transaction.
    // Their pending retries are then cancelled (webhook_disabled) when they come due.
    this.removalHooks.register((tx, workspaceId, userId) => this.repository.disableOwnedBy(tx, workspaceId, userId));
  }

  async create(ctx: WorkspaceContext, dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    authorize(ctx, 'create', 'Webhook', { workspaceId: ctx.workspaceId, createdById: ctx.userId });
    this.assertMaySubscribe(ctx.ability, dto.events, 'you');
    assertMayReceiveOperational(ctx.role, dto.events);
    this.assertValidFilter(dto.filter, dto.events);
    const url = await this.checkUrl(dto.url);
    return this.dataSource.transaction(async (tx) => {
      await this.assertBelowLimit(tx, ctx.workspaceId);
      // The id is chosen here: the secret's ciphertext is bound to it (AAD).
      const id = randomUUID();
      const { secret, secrets, secretsKeyId } = this.secrets.create(id);
      const repo = tx.getRepository(Webhook);
      const saved = await repo.save(
        repo.create({
          id,
          secretsKeyId,
          workspaceId: ctx.workspaceId,
          name: dto.name,
          url,
          events: dto.events,
          description: dto.description ?? null,
          enabled: dto.enabled ?? true,
          filter: dto.filter ?? null,
          disabledReason: null,
          createdById: ctx.userId,
          secrets,
          failingSince: null,
          maxConcurrency: dto.maxConcurrency ?? null,
          rateLimitPerSecond: dto.rateLimitPerSecond ?? null,
        }),
      );
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'webhook.created',
        targetType: 'webhook',
        targetId: id,
        after: { name: saved.name, url: saved.url, events: saved.events, enabled: saved.enabled },
      });
      return { ...toWebhookView(saved), secret };
    });
  }

  /** Owners and admins: every webhook of the workspace; members: their own. */
  list(ctx: WorkspaceContext, page: PageQueryDto): Promise<PageDto<WebhookView>> {
    return paginate(this.scopedQuery(ctx), page, toWebhookView);
  }

  async get(ctx: WorkspaceContext, id: string): Promise<WebhookView> {
    return toWebhookView(await this.findReadable(ctx, id));
  }

  async update(ctx: WorkspaceContext, id: string, dto: UpdateWebhookDto): Promise<WebhookView> {
    // The URL check may resolve DNS: done before the transaction, only when the URL really changes.
    const current = await this.findReadable(ctx, id);
    authorize(ctx, 'update', 'Webhook', current);
    if (dto.filter || (dto.events && current.filter)) this.assertValidFilter(dto.filter === undefined ? current.filter : dto.filter, dto.events ?? current.events);
    let url: string | undefined;
    if (dto.url !== undefined) {
      const syntax = checkUrlSyntax(dto.url);
      if (!syntax.ok) throw new BadRequestException([syntax.reason]);
      if (syntax.url.href !== current.url) url = await this.checkUrl(dto.url);
    }

    return this.dataSource.transaction(async (tx) => {
      const row = await this.findReadable(ctx, id, { manager: tx, forUpdate: true });
      authorize(ctx, 'update', 'Webhook', row);
      const changes: Partial<Webhook> = {};
      if (dto.name !== undefined && dto.name !== row.name) changes.name = dto.name;
      if (url !== undefined && url !== row.url) changes.url = url;
      if (dto.description !== undefined && dto.description !== row.description) changes.description = dto.description;
      if (dto.events !== undefined && !sameList(dto.events, row.events)) changes.events = dto.events;
      if (dto.filter !== undefined && JSON.stringify(dto.filter) !== JSON.stringify(row.filter)) changes.filter = dto.filter;
      // Flow limits: null restores the default; neither changes the owner.
      if (dto.maxConcurrency !== undefined && dto.maxConcurrency !== row.maxConcurrency) changes.maxConcurrency = dto.maxConcurrency;
      if (dto.rateLimitPerSecond !== undefined && dto.rateLimitPerSecond !== row.rateLimitPerSecond) changes.rateLimitPerSecond = dto.rateLimitPerSecond;
      // Whoever points the webhook elsewhere (url) or widens or narrows what it carries (events)
      // becomes its owner: from then on it carries only what they may read (permissions.md).
      const transfer = (changes.url !== undefined || changes.events !== undefined) && row.createdById !== ctx.userId;
      if (changes.url !== undefined || changes.events !== undefined) assertMayReceiveOperational(ctx.role, changes.events ?? row.events);
      if (transfer) {
        this.assertMaySubscribe(ctx.ability, changes.events ?? row.events, 'you (the new owner)');
        Object.assign(changes, { createdById: ctx.userId, previousOwnerId: row.createdById, ownerChangedAt: new Date() });
      } else if (changes.events) {
        this.assertMaySubscribe(ctx.ability, changes.events.filter((type) => !row.events.includes(type)), 'you');
      }
      if (dto.enabled === true && (!row.enabled || row.disabledReason !== null)) {
        // Re-enabling is the user's "it's fixed": forget why and since when it was failing.
        Object.assign(changes, { enabled: true, disabledReason: null, failingSince: null, consecutiveFailures: 0, alertState: null });
      } else if (dto.enabled === false && (row.enabled || row.disabledReason !== null)) {
        // Paused by a user, not by the system: no disabledReason.
        Object.assign(changes, { enabled: false, disabledReason: null });
      }
      const orphan = changes.enabled && !transfer && row.createdById !== ctx.userId;
      if (orphan && !(await this.abilities.findAccess(ctx.workspaceId, row.createdById))) {
        // Re-enabled as is, it would carry nobody's view and be disabled again at the next event.
        throw new ConflictException("The webhook's owner is no longer a member of this workspace: change its url or events to take it over");
      }
      if (Object.keys(changes).length === 0) return toWebhookView(row);
      await tx.getRepository(Webhook).update({ id: row.id }, changes as never);
      const audited = (['name', 'url', 'events', 'enabled', 'description', 'createdById'] as const).filter((k) => changes[k] !== undefined);
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'webhook.updated',
        targetType: 'webhook',
        targetId: row.id,
        before: Object.fromEntries(audited.map((k) => [k, row[k]])),
        after: Object.fromEntries(audited.map((k) => [k, changes[k]])),
      });
      return toWebhookView(await tx.getRepository(Webhook).findOneByOrFail({ id: row.id }));
    });
  }

  /** Pending deliveries go with it: deliveries reference webhooks ON DELETE CASCADE. */
  async remove(ctx: WorkspaceContext, id: string): Promise<void> {
    // Deleting cascades to the webhook's deliveries, which a worker may be logging attempts of at the
    // same moment (locking those rows, then the webhook's health): a deadlock victim runs again.
    await retryTransientConflicts(() => this.removeOnce(ctx, id));
  }

  private async removeOnce(ctx: WorkspaceContext, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const row = await this.findReadable(ctx, id, { manager: tx, forUpdate: true });
      authorize(ctx, 'delete', 'Webhook', row);
      await tx.getRepository(Webhook).delete({ id: row.id });
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'webhook.deleted',
        targetType: 'webhook',
        targetId: row.id,
        before: { name: row.name, url: row.url, events: row.events, enabled: row.enabled },
      });
    });
  }

  async getSecret(ctx: WorkspaceContext, id: string): Promise<SecretView> {
    const row = await this.findReadable(ctx, id, { withSecrets: true });
    const secret = this.secrets.current(row.id, row.secrets);
    await this.audit.record(null, { workspaceId: ctx.workspaceId, actor: ctx.actor, action: 'webhook.secret_read', targetType: 'webhook', targetId: row.id });
    return { secret };
  }

  /** New current secret; the previous one keeps signing for WEBHOOK_SECRET_OVERLAP. */
  rotateSecret(ctx: WorkspaceContext, id: string): Promise<SecretView> {
    return this.dataSource.transaction(async (tx) => {
      // Locked: two concurrent rotations must not both expire the same "previous" secret.
      const row = await this.findReadable(ctx, id, { manager: tx, forUpdate: true, withSecrets: true });
      authorize(ctx, 'update', 'Webhook', row);
      const { secret, secrets, secretsKeyId } = this.secrets.rotate(row.id, row.secrets);
      await tx.getRepository(Webhook).update({ id: row.id }, { secrets, secretsKeyId });
      await this.audit.record(tx, { workspaceId: ctx.workspaceId, actor: ctx.actor, action: 'webhook.secret_rotated', targetType: 'webhook', targetId: row.id });
      return { secret };
    });
  }

  /**
   * 404 unless the webhook exists in this workspace and the caller may read it. Also for other
   * modules' routes under /webhooks/:id (deliveries, test).
   */
  async findReadable(ctx: WorkspaceContext, id: string, options: FindWebhookOptions = {}): Promise<Webhook> {
    const qb = this.scopedQuery(ctx, options.manager).andWhere('webhook.id = :id', { id });
    if (options.withSecrets) qb.addSelect('webhook.secrets');
    if (options.forUpdate) qb.setLock('pessimistic_write');
    const row = await qb.getOne();
    if (!row) throw new NotFoundException('Webhook not found');
    return row;
  }

  /**
   * The webhooks of the workspace the caller may read, as a query (alias `webhook`) for the caller
   * to narrow further (delivery's "why (not)" adds conditions on its own tables) and run.
   */
  readableQuery(ctx: WorkspaceContext): SelectQueryBuilder<Webhook> {
    return this.scopedQuery(ctx);
  }

  /**
   * Narrows a query of another module's rows (e.g. deliveries) to those whose webhook the caller may
   * read: joins the webhook (alias `webhook`) on `webhookIdColumn` and adds the caller's read scope,
   * in the same statement (no extra round trip).
   */
  joinReadable<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, ctx: WorkspaceContext, webhookIdColumn: string): SelectQueryBuilder<T> {
    qb.innerJoin(Webhook, 'webhook', `webhook.id = ${webhookIdColumn}`);
    const scope = abilityToSql(ctx.ability, 'read', 'Webhook', 'webhook', this.dataSource.getMetadata(Webhook));
    return qb.andWhere(scope.sql, scope.params);
  }

  private scopedQuery(ctx: WorkspaceContext, manager: EntityManager = this.dataSource.manager) {
    const qb = manager
      .getRepository(Webhook)
      .createQueryBuilder('webhook')
      .where('webhook.workspaceId = :workspaceId', { workspaceId: ctx.workspaceId });
    return this.abilities.scope(qb, ctx.ability, 'read', 'Webhook', Webhook);
  }

  /** 400 naming an unknown operator or field (fields: those of the subscribed events' objects). */
  private assertValidFilter(filter: Record<string, unknown> | null | undefined, events: string[]): void {
    if (filter === undefined || filter === null) return;
    const problems = filterProblems(filter, objectFieldsOf(events));
    if (problems.length) throw new BadRequestException(problems);
  }

  /** 400 for a malformed URL, 422 for a well-formed one whose target is refused; else its normalised form. */
  private async checkUrl(raw: string): Promise<string> {
    const syntax = checkUrlSyntax(raw);
    if (!syntax.ok) throw new BadRequestException([syntax.reason]);
    const result = await checkWebhookUrl(raw, { allowPrivateNetwork: this.config.webhookAllowPrivateNetwork });
    if (!result.ok) throw new UnprocessableEntityException(`${result.reason}. ${PRIVATE_NETWORK_HINT}`);
    return result.url.href;
  }

  /** Counted under a per-workspace lock, so concurrent creates cannot overshoot the limit. */
  private async assertBelowLimit(tx: EntityManager, workspaceId: string): Promise<void> {
    const count = await this.repository.countLocked(tx, CREATE_LOCK_NAMESPACE, workspaceId);
    const max = this.config.webhookMaxPerWorkspace;
    if (count >= max) {
      throw new ConflictException(`This workspace already has the maximum of ${max} webhooks; delete one before creating another`);
    }
  }

  private assertMaySubscribe(ability: AppAbility, types: readonly string[], who: string): void {
    const refused = unreadableEventTypes(ability, types);
    if (refused.length > 0) {
      throw new ForbiddenException(
        `Cannot subscribe to ${refused.join(', ')}: ${who} may never read that subject, so the webhook could never receive them`,
      );
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
