/** Published with every new invitation (not a webhook event type: webhooks never receive it). */
export const INVITATION_CREATED = 'invitation.created';
/** The event-bus subscriber that mails invitations (stored in events.pending_subscribers). */
export const INVITATION_MAIL_SUBSCRIBER = 'invitation-mail';
export const INVITATION_TTL_MS = 7 * 24 * 3600_000;
