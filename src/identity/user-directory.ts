import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** What other modules may read of a user (the users table is identity's: they never query it). */
@Injectable()
export class UserDirectory {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's address and whether it is verified; null for no such user. */
  async address(userId: string, manager: EntityManager = this.dataSource.manager): Promise<{ email: string; verified: boolean } | null> {
    const rows: { email: string; email_verified_at: Date | null }[] = await manager.query('SELECT email, email_verified_at FROM users WHERE id = $1', [userId]);
    return rows[0] ? { email: rows[0].email, verified: rows[0].email_verified_at !== null } : null;
  }

  /** The addresses of these users (those that exist), by id. */
  async emails(userIds: string[]): Promise<Map<string, string>> {
    if (!userIds.length) return new Map();
    const rows: { id: string; email: string }[] = await this.dataSource.query('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [userIds]);
    return new Map(rows.map((r) => [r.id, r.email]));
  }

  /** The id of the account with this (lower-cased) address, or null. */
  async idByEmail(email: string, manager: EntityManager = this.dataSource.manager): Promise<string | null> {
    const rows: { id: string }[] = await manager.query('SELECT id FROM users WHERE email = $1', [email]);
    return rows[0]?.id ?? null;
  }

  /** The user's display name, or null (no id, or no such user). */
  async name(userId: string | null): Promise<string | null> {
    if (!userId) return null;
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM users WHERE id = $1', [userId]);
    return rows[0]?.name ?? null;
  }
}
