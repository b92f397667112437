import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EventEmitter } from 'node:events';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { WORKER_DATA_SOURCE } from '../database/data-source-options';

export const OUTBOX_CHANNEL = 'outbox_events';
/** Set on a transaction's QueryRunner when it wrote outbox rows. */
export const PUBLISHED_EVENTS = 'outbox:published';

/**
 * Wakes relays once a transaction that published events has committed: the relay in this process
 * at once, relays in other processes through one NOTIFY. The NOTIFY is sent after the commit and
 * coalesced (one in flight at a time), not from inside each writing transaction: PostgreSQL
 * serialises notifying commits on one server-wide lock, which would make every create wait for
 * every other create's WAL flush. A lost signal costs latency only; the relay's sweep finds the rows.
 */
@Injectable()
export class OutboxSignal implements EntitySubscriberInterface, OnModuleInit {
  private readonly logger = new Logger(OutboxSignal.name);
  private readonly local = new EventEmitter();
  private sending = false;
  private again = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectDataSource(WORKER_DATA_SOURCE) private readonly notifier: DataSource,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  /** Relays of this process subscribe here. */
  onCommitted(listener: () => void): void {
    this.local.on('committed', listener);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.data?.[PUBLISHED_EVENTS]) return;
    delete event.queryRunner.data[PUBLISHED_EVENTS];
    this.committed();
  }

  /**
   * Events were committed (by a transaction, or by a single autocommit statement). The relays of
   * other worker processes are woken too, even when this process runs one: they race for the rows
   * (SKIP LOCKED), so the work spreads over every worker rather than staying with the process whose
   * API wrote it.
   */
  committed(): void {
    this.local.emit('committed');
    this.notifyOthers();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (event.queryRunner.data) delete event.queryRunner.data[PUBLISHED_EVENTS];
  }

  private notifyOthers(): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    this.notifier
      .query(`NOTIFY ${OUTBOX_CHANNEL}`)
      .catch((err: Error) => this.logger.warn(`NOTIFY failed (the relays' sweep covers it): ${err.message}`))
      .finally(() => {
        this.sending = false;
        if (this.again) {
          this.again = false;
          this.notifyOthers();
        }
      });
  }
}
