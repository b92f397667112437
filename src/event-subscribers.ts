import { FANOUT_SUBSCRIBER } from './delivery/delivery.constants';
import { EVENT_TYPES } from './events/event-catalog';
import type { SubscriberDeclaration } from './events/event-subscriptions';
import { ACCOUNT_MAIL_SUBSCRIBER, EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED } from './identity/account-events';
import { INVITATION_CREATED, INVITATION_MAIL_SUBSCRIBER } from './workspaces/invitation-events';

/**
 * Every event-bus subscriber, declared here rather than by whichever modules a process happens to
 * load: an API-only process stores on each event the same subscriber list as a worker, and a
 * worker's handler finds its name. The owning modules attach the handlers (EventSubscriptions.subscribe).
 */
export const EVENT_SUBSCRIBERS: SubscriberDeclaration[] = [
  { name: FANOUT_SUBSCRIBER, types: EVENT_TYPES },
  { name: ACCOUNT_MAIL_SUBSCRIBER, types: [EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED] },
  { name: INVITATION_MAIL_SUBSCRIBER, types: [INVITATION_CREATED] },
];
