import { Module } from '@nestjs/common';
import { PermissionsModule } from '../permissions/permissions.module';
import { EventTypesController } from './event-types.controller';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';
import { WebhookRepository } from './webhook.repository';

/**
 * Webhook endpoints and their signing secrets. Exports what delivery needs: WebhooksService
 * (findReadable for routes under /webhooks/:id) and WebhookSecretsService (secrets per send).
 */
@Module({
  imports: [PermissionsModule],
  controllers: [WebhooksController, EventTypesController],
  providers: [WebhooksService, WebhookSecretsService, WebhookRepository],
  exports: [WebhooksService, WebhookSecretsService, WebhookRepository],
})
export class WebhooksModule {}
