import { Initial1795776802663 } from './1795776802663-Initial';
import { EventsUnfinishedIndex1795778095932 } from './1795778095932-EventsUnfinishedIndex';
import { WebhookSecretsKeyId1796156885392 } from './1796156885392-WebhookSecretsKeyId';

/** Every migration, in order. `npm run migration:generate -- migrations/Name` writes a new file; add it here. */
export const MIGRATIONS: Function[] = [Initial1795776802663, EventsUnfinishedIndex1795778095932, WebhookSecretsKeyId1796156885392];
