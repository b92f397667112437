import { Initial1795776802663 } from './1795776802663-Initial';
import { EventsUnfinishedIndex1795778095932 } from './1795778095932-EventsUnfinishedIndex';
import { WebhookOwnerAndCancelReason1796156639019 } from './1796156639019-WebhookOwnerAndCancelReason';
import { Accounts1796156719273 } from './1796156719273-Accounts';
import { WebhookSecretsKeyId1796156885392 } from './1796156885392-WebhookSecretsKeyId';
import { DeliveryDecisions1796170718770 } from './1796170718770-DeliveryDecisions';
import { AuditLog1796172254350 } from './1796172254350-AuditLog';
import { CustomRolesAndWebhookFilter1796200000000 } from './1796200000000-CustomRolesAndWebhookFilter';
import { WebhookFlowLimits1796300015000 } from './1796300015000-WebhookFlowLimits';
import { DeliveriesDueByWebhook1796400000000 } from './1796400000000-DeliveriesDueByWebhook';
import { WebhookAlertPending1796500000000 } from './1796500000000-WebhookAlertPending';
import { AbilityVersionSequence1796600000000 } from './1796600000000-AbilityVersionSequence';

/** Every migration, in order. `npm run migration:generate -- migrations/Name` writes a new file; add it here (one per line). */
export const MIGRATIONS: Function[] = [
  Initial1795776802663,
  EventsUnfinishedIndex1795778095932,
  WebhookOwnerAndCancelReason1796156639019,
  Accounts1796156719273,
  WebhookSecretsKeyId1796156885392,
  DeliveryDecisions1796170718770,
  AuditLog1796172254350,
  CustomRolesAndWebhookFilter1796200000000,
  WebhookFlowLimits1796300015000,
  DeliveriesDueByWebhook1796400000000,
  WebhookAlertPending1796500000000,
  AbilityVersionSequence1796600000000,
];
