/**
 * Every mail the platform sends: a name, the data it needs, and how it renders. Links point at the
 * web console (PUBLIC_URL): `/verify-email?token=`, `/reset-password?token=`, `/invitations`.
 */
export interface MailTemplateData {
  'verify-email': { name: string; token: string; expiresInHours: number };
  'password-reset': { name: string; token: string; expiresInMinutes: number };
  invitation: { workspaceName: string; inviterName: string | null; role: string; expiresAt: string };
  'webhook-alert': {
    kind: 'failing' | 'disabled' | 'recovered';
    webhookName: string;
    url: string;
    workspaceName: string;
    lastError: string | null;
    reason: string | null;
  };
}
export type MailTemplate = keyof MailTemplateData;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

interface Body {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  footer: string;
}

type Renderers = { [T in MailTemplate]: (data: MailTemplateData[T], publicUrl: string) => Body };

/** The console pages mails link to; the console (web/) serves them. */
export const CONSOLE_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  invitations: '/invitations',
} as const;

const RENDERERS: Renderers = {
  'verify-email': ({ name, token, expiresInHours }, publicUrl) => ({
    subject: 'Confirm your e-mail address',
    greeting: `Hello ${name},`,
    paragraphs: ['Confirm that this address is yours to finish setting up your Countercyclical account.'],
    action: { label: 'Confirm my address', url: `${publicUrl}${CONSOLE_PATHS.verifyEmail}?token=${encodeURIComponent(token)}` },
    footer: `The link works once and expires in ${expiresInHours} hours. If you did not sign up, ignore this mail.`,
  }),
  'password-reset': ({ name, token, expiresInMinutes }, publicUrl) => ({
    subject: 'Reset your password',
    greeting: `Hello ${name},`,
    paragraphs: ['Someone asked to reset the password of the Countercyclical account registered with this address.'],
    action: { label: 'Choose a new password', url: `${publicUrl}${CONSOLE_PATHS.resetPassword}?token=${encodeURIComponent(token)}` },
    footer: `The link works once and expires in ${expiresInMinutes} minutes; using it signs out every session. If you did not ask, ignore this mail.`,
  }),
  invitation: ({ workspaceName, inviterName, role, expiresAt }, publicUrl) => ({
    subject: `You are invited to ${workspaceName} on Countercyclical`,
    greeting: 'Hello,',
    paragraphs: [
      `${inviterName ?? 'An administrator'} invited you to join the workspace "${workspaceName}" as ${role}.`,
      'Sign in (or sign up) with this address, confirm it, and accept the invitation.',
    ],
    action: { label: 'See my invitations', url: `${publicUrl}${CONSOLE_PATHS.invitations}` },
    footer: `The invitation expires on ${expiresAt}.`,
  }),
  'webhook-alert': ({ kind, webhookName, url, workspaceName, lastError, reason }, publicUrl) => ({
    subject:
      kind === 'recovered'
        ? `Webhook "${webhookName}" has recovered`
        : kind === 'disabled'
          ? `Webhook "${webhookName}" was disabled`
          : `Webhook "${webhookName}" is failing`,
    greeting: 'Hello,',
    paragraphs: [
      kind === 'recovered'
        ? `The webhook "${webhookName}" (${url}) of the workspace "${workspaceName}" delivers again.`
        : kind === 'disabled'
          ? `The webhook "${webhookName}" (${url}) of the workspace "${workspaceName}" was disabled (${reason === 'gone' ? 'the endpoint answered 410 Gone' : 'its deliveries kept failing'}). It receives nothing until it is enabled again.`
          : `The webhook "${webhookName}" (${url}) of the workspace "${workspaceName}" has failed several deliveries in a row. Retries continue.`,
      ...(lastError ? [`Last error: ${lastError}`] : []),
    ],
    action: { label: 'Open the console', url: `${publicUrl}/` },
    footer: 'You receive this as the webhook\'s owner or an administrator of the workspace; at most one such mail per webhook per hour.',
  }),
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Text and HTML alternatives of one mail; every interpolated value is escaped in the HTML. */
export function renderMail<T extends MailTemplate>(template: T, data: MailTemplateData[T], publicUrl: string): RenderedMail {
  const body = (RENDERERS[template] as (d: MailTemplateData[T], u: string) => Body)(data, publicUrl);
  const text = [body.greeting, '', ...body.paragraphs.flatMap((p) => [p, '']), ...(body.action ? [`${body.action.label}: ${body.action.url}`, ''] : []), body.footer].join('\n');
  const html = [
    `<p>${escapeHtml(body.greeting)}</p>`,
    ...body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    body.action ? `<p><a href="${escapeHtml(body.action.url)}">${escapeHtml(body.action.label)}</a></p>` : '',
    `<p style="color:#666">${escapeHtml(body.footer)}</p>`,
  ].join('\n');
  return { subject: body.subject, text, html };
}
