import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MailTemplate, MailTemplateData, renderMail } from './mail-templates';

export type MailOutcome = 'sent' | 'logged' | 'rejected';

/** SMTP timeouts short enough for a queue job (nodemailer waits minutes by default). */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * Sends one mail now, from a queue job: callers never send from a request. Mail is requested
 * through the event bus (an outbox row committed with the change), and the subscriber that handles
 * the event calls send(): so a mail is never lost, never blocks a request, and is retried by the
 * queue when send() throws. Generic on purpose: account mails today, operational alerts later.
 */
@Injectable()
export class MailService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MailService.name);
  private transport: Transporter | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    if (this.config.smtpUrl) {
      this.transport = createTransport({ url: this.config.smtpUrl, ...SMTP_TIMEOUTS } as never);
    } else {
      this.logger.warn('SMTP_URL is not set: mails (verification and reset links, invitations) are written to this log instead of being sent');
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }

  /**
   * Throws when the failure may pass (connection refused, timeout, 4xx): the job is retried.
   * Returns 'rejected' when the server refused the message for good (5xx): retrying cannot help.
   */
  async send<T extends MailTemplate>(template: T, to: string, data: MailTemplateData[T]): Promise<MailOutcome> {
    const mail = renderMail(template, data, this.config.publicUrl);
    if (!this.transport) {
      this.logger.log(`mail "${template}" to ${to}: ${mail.subject}\n${mail.text}`);
      return 'logged';
    }
    try {
      await this.transport.sendMail({
        from: this.config.mailFrom,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // Lets mail filters (and tests) tell the kinds of mail apart without parsing the body.
        headers: { 'X-Countercyclical-Template': template },
      });
      return 'sent';
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) {
        this.logger.warn(`mail "${template}" to ${to} refused for good (${code}): ${(err as Error).message}`);
        return 'rejected';
      }
      throw err;
    }
  }
}
