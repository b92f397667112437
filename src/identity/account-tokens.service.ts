import { BadRequestException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AccountTokenPurpose } from './account-token.entity';
import { generateOpaqueToken, hashToken } from './opaque-token';

/** Recognisable prefixes (and secret scanners' patterns) for each kind of mailed token. */
const PREFIX: Record<AccountTokenPurpose, string> = { verify_email: 'cc_ve_', password_reset: 'cc_pr_' };

export const VERIFY_EMAIL_TTL_MS = 24 * 3600_000;
export const PASSWORD_RESET_TTL_MS = 60 * 60_000;
const TTL: Record<AccountTokenPurpose, number> = { verify_email: VERIFY_EMAIL_TTL_MS, password_reset: PASSWORD_RESET_TTL_MS };

const INVALID = 'This link is invalid or has already been used';
const EXPIRED = 'This link has expired: ask for a new one';

export interface ConsumedToken {
  userId: string;
  /** The address the token was mailed to: what it proves. */
  email: string;
}

/**
 * Mailed single-use tokens. 256 random bits, stored as SHA-256 and looked up by that hash: the
 * comparison is on a digest the caller cannot steer, so its timing reveals nothing about stored tokens.
 */
@Injectable()
export class AccountTokensService {
  async mint(manager: EntityManager, purpose: AccountTokenPurpose, userId: string, email: string): Promise<string> {
    const token = generateOpaqueToken(PREFIX[purpose]);
    // Expired tokens of this user go as new ones come: the table never grows with unused links.
    await manager.query('DELETE FROM account_tokens WHERE user_id = $1 AND expires_at <= now()', [userId]);
    await manager.query(
      `INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
       VALUES ($1, $2, $3, $4, now() + ($5 || ' milliseconds')::interval)`,
      [userId, purpose, hashToken(token), email, TTL[purpose]],
    );
    return token;
  }

  /**
   * Deletes the token as it reads it, so two concurrent uses cannot both succeed. Unknown, already
   * used, expired or of another purpose: 400.
   */
  async consume(manager: EntityManager, purpose: AccountTokenPurpose, token: string): Promise<ConsumedToken> {
    if (!token.startsWith(PREFIX[purpose])) throw new BadRequestException(INVALID);
    // An UPDATE/DELETE answers [rows, affected] through TypeORM.
    const [rows]: [{ user_id: string; email: string; live: boolean }[], number] = await manager.query(
      `DELETE FROM account_tokens WHERE token_hash = $1 AND purpose = $2 RETURNING user_id, email, expires_at > now() AS live`,
      [hashToken(token), purpose],
    );
    if (!rows[0]) throw new BadRequestException(INVALID);
    if (!rows[0].live) throw new BadRequestException(EXPIRED);
    return { userId: rows[0].user_id, email: rows[0].email };
  }

  /** 400 unless the token exists, is live and has this purpose; does not use it (consume() does). */
  async assertUsable(purpose: AccountTokenPurpose, token: string, manager: EntityManager): Promise<void> {
    if (!token.startsWith(PREFIX[purpose])) throw new BadRequestException(INVALID);
    const rows: { live: boolean }[] = await manager.query('SELECT expires_at > now() AS live FROM account_tokens WHERE token_hash = $1 AND purpose = $2', [
      hashToken(token),
      purpose,
    ]);
    if (!rows[0]) throw new BadRequestException(INVALID);
    if (!rows[0].live) throw new BadRequestException(EXPIRED);
  }

  /** Every outstanding token of the user for these purposes stops working. */
  async revokeAll(manager: EntityManager, userId: string, purposes: AccountTokenPurpose[]): Promise<void> {
    await manager.query('DELETE FROM account_tokens WHERE user_id = $1 AND purpose = ANY($2)', [userId, purposes]);
  }
}
