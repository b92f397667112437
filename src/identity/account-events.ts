/**
 * Account events ride the event bus (its outbox makes a requested mail survive any crash) but belong
 * to no workspace: they carry this nil workspace id, which no workspace has, so nothing that reads
 * a workspace's events ever sees them, and webhooks never receive them (they are not in the catalog).
 * Their data holds no secret: the mailed token is minted by the subscriber when it sends the mail.
 */
export const ACCOUNT_EVENTS_WORKSPACE_ID = '00000000-0000-0000-0000-000000000000';

export const EMAIL_VERIFICATION_REQUESTED = 'account.email_verification_requested';
export const PASSWORD_RESET_REQUESTED = 'account.password_reset_requested';

/** The event-bus subscriber that mails account links (stored in events.pending_subscribers). */
export const ACCOUNT_MAIL_SUBSCRIBER = 'account-mail';

export interface EmailVerificationRequested {
  userId: string;
  email: string;
}

export interface PasswordResetRequested {
  /** Lower-cased, as typed: the subscriber finds the account (or none; the request cannot tell). */
  email: string;
}
