import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type MemberRemovedHandler = (tx: EntityManager, workspaceId: string, userId: string) => Promise<void>;

/**
 * Work that must commit with a member's removal, registered by the modules that own it (webhooks
 * disables the removed member's webhooks). Lets workspaces run it inside its transaction without
 * importing those modules.
 */
@Injectable()
export class MemberRemovalHooks {
  private readonly handlers: MemberRemovedHandler[] = [];

  register(handler: MemberRemovedHandler): void {
    this.handlers.push(handler);
  }

  /** Runs every handler on the removing transaction: they commit or roll back with the removal. */
  async memberRemoved(tx: EntityManager, workspaceId: string, userId: string): Promise<void> {
    for (const handler of this.handlers) await handler(tx, workspaceId, userId);
  }
}
