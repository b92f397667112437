import { Module } from '@nestjs/common';
import { MailService } from './mail.service';

/** Outgoing mail over SMTP (nodemailer), or to the log without SMTP_URL. Imports only config. */
@Module({
  providers: [MailService],
  exports: [MailService],
})
export class MailModule {}
