import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  /** The platform's X-Countercyclical-Template header: verify-email, password-reset, invitation. */
  template: string | null;
  text: string;
  html: string;
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 that keeps what it receives, parsed (mailparser):
 * tests read the mailed tokens as a person would, from the message.
 */
export class Mailbox {
  readonly messages: ReceivedMail[] = [];
  /** Messages turned away with a 451 while refusing (refuse()): each is a real SMTP exchange. */
  refusedCount = 0;
  private refusing = false;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** On a free port, or on `port` (a server that comes back where the platform expects it). */
  static async start(port = 0): Promise<Mailbox> {
    let box: Mailbox | undefined;
    const server = new SMTPServer({
      authOptional: true,
      // Plain SMTP on loopback: no certificate for the sender to doubt.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onMailFrom(_address, _session, callback) {
        if (!box!.refusing) return callback();
        // A transient refusal (4xx), as a server that is overloaded or restarting answers.
        const err = Object.assign(new Error('Temporarily refusing mail'), { responseCode: 451 });
        box!.refusedCount++;
        for (const listener of box!.listeners) listener();
        callback(err);
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            box!.receive({
              to: [parsed.to ?? []].flat().flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())),
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              template: (parsed.headers.get('x-countercyclical-template') as string | undefined) ?? null,
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    box = new Mailbox(server, (server.server.address() as AddressInfo).port);
    return box;
  }

  /** While on, every message is refused with a transient 451 (the SMTP server is "down"); off: accepted again. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Waits (up to a deadline) until at least `count` messages have been refused. */
  waitForRefusals(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.refusedCount >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.refusedCount} of ${count} refusals within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (this.refusedCount < count) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  /** What the platform's SMTP_URL is set to. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private receive(mail: ReceivedMail): void {
    this.messages.push(mail);
    for (const listener of this.listeners) listener();
  }

  /** Mails to `email` (optionally of one template), oldest first. */
  to(email: string, template?: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.includes(email.toLowerCase()) && (!template || m.template === template));
  }

  /**
   * Waits (up to a deadline) for the `nth` (1-based) mail of `template` to `email`. Counting
   * lets a test wait for a second mail of the same kind without mistaking the first for it.
   */
  async waitFor(email: string, template: string, nth = 1, timeoutMs = 15_000): Promise<ReceivedMail> {
    const found = () => this.to(email, template)[nth - 1];
    if (found()) return found();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no mail #${nth} "${template}" to ${email} within ${timeoutMs} ms (got: ${this.messages.map((m) => `${m.template}→${m.to}`).join(', ') || 'none'})`));
      }, timeoutMs);
      const check = () => {
        const mail = found();
        if (!mail) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(mail);
      };
      this.listeners.add(check);
    });
  }

  /** Waits for the nth mail and returns the token of its link (`?token=`). */
  async tokenFor(email: string, template: 'verify-email' | 'password-reset', nth = 1): Promise<string> {
    return tokenIn(await this.waitFor(email, template, nth));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The token of the first `?token=` link in a mail's text. */
export function tokenIn(mail: ReceivedMail): string {
  const match = /[?&]token=([A-Za-z0-9_%-]+)/.exec(mail.text);
  if (!match) throw new Error(`no token link in mail "${mail.subject}": ${mail.text}`);
  return decodeURIComponent(match[1]);
}

// The mailbox of each running test app, by base URL: the api-client helpers find it from the
// ApiClient they are given, so their signatures stay what the suites already call.
const byBaseUrl = new Map<string, Mailbox>();

export function registerMailbox(baseUrl: string, mailbox: Mailbox): void {
  byBaseUrl.set(baseUrl, mailbox);
}

export function unregisterMailbox(baseUrl: string): void {
  byBaseUrl.delete(baseUrl);
}

export function mailboxFor(baseUrl: string): Mailbox {
  const mailbox = byBaseUrl.get(baseUrl);
  if (!mailbox) throw new Error(`no mailbox for ${baseUrl}: start the app with startTestApp() (it starts one), or registerMailbox()`);
  return mailbox;
}
