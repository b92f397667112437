import { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, signup, TEST_PASSWORD } from '../support/api-client';
import { launchChromium, seriousA11yViolations, until } from '../support/browser';
import type { ReceivedMail } from '../support/mailbox';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The console's account pages in Debian's Chromium, against the real platform and its real test SMTP
 * server: the links are read from the mails, as a person would, and opened in the browser.
 */
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };

// Mails link to PUBLIC_URL; the test opens the same path and query on the app under test (loopback only).
const PUBLIC_URL = 'https://console.example.test';
const BROWSER_TEST_TIMEOUT = 120_000;

describe('console account pages (Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp({ PUBLIC_URL }), launchChromium()]);
  }, 120_000);

  afterEach(() => {
    const errors = pageErrors.splice(0);
    expect(errors, 'uncaught errors in the console').toEqual([]);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await t?.close();
  });

  async function openPage(token?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    contexts.push(context);
    context.setDefaultTimeout(20_000);
    if (token) await context.addInitScript((value) => localStorage.setItem('cc.token', value), token);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    return page;
  }

  /** The mail's link, checked to be on PUBLIC_URL at `path`, re-homed onto the app under test. */
  function linkIn(mail: ReceivedMail, path: string): string {
    const link = new RegExp(`${PUBLIC_URL.replace(/\./g, '\\.')}${path}\\?token=[A-Za-z0-9_%-]+`).exec(mail.text)?.[0];
    if (!link) throw new Error(`no ${path} link in "${mail.subject}": ${mail.text}`);
    return `${t.baseUrl}${link.slice(PUBLIC_URL.length)}`;
  }

  it(
    'sign up → banner → Resend verification → the mailed link verifies the address',
    async () => {
      const page = await openPage();
      await page.goto(`${t.baseUrl}/signup`);
      const email = `verify-${Date.now()}@example.com`;
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Name').fill('Vera');
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Create your first workspace' }).waitFor();

      const banner = page.getByRole('region', { name: 'E-mail verification' });
      await banner.getByText(email).waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await t.mailbox.waitFor(email, 'verify-email', 1);
      await banner.getByRole('button', { name: 'Resend verification' }).click();
      await banner.getByText(`Sent a new link to ${email}.`).waitFor();
      const mail = await t.mailbox.waitFor(email, 'verify-email', 2);

      // A broken link says so.
      await page.goto(`${t.baseUrl}/verify-email?token=cc_ve_nope`);
      await page.getByRole('alert').getByText('This link is invalid or has already been used').waitFor();

      await page.goto(linkIn(mail, '/verify-email'));
      await page.getByText('Your e-mail address is verified.').waitFor();
      const token = (await page.evaluate(() => localStorage.getItem('cc.token')))!;
      expect((await new ApiClient(t.baseUrl, token).get('/v1/me')).body.emailVerified).toBe(true);
      await page.getByRole('link', { name: 'Continue to the console' }).click();
      await page.getByRole('heading', { name: 'Create your first workspace' }).waitFor();
      expect(await page.getByRole('region', { name: 'E-mail verification' }).count()).toBe(0);
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'forgot password → the same answer for any address → reset link → API errors by the field → log in with the new password',
    async () => {
      const user = await signup(new ApiClient(t.baseUrl), 'Forgetful');
      const page = await openPage();
      await page.goto(`${t.baseUrl}/`);
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByRole('heading', { name: 'Reset your password' }).waitFor();

      // An unknown address: the page cannot tell.
      const stranger = `nobody-${Date.now()}@example.com`;
      await page.getByLabel('Email').fill(stranger);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByText(`If an account exists for ${stranger}, we sent a link`).waitFor();

      await page.reload();
      await page.getByLabel('Email').fill(user.email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByText(`If an account exists for ${user.email}, we sent a link`).waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      const mail = await t.mailbox.waitFor(user.email, 'password-reset');
      expect(t.mailbox.to(stranger)).toEqual([]);

      await page.goto(linkIn(mail, '/reset-password'));
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      const field = page.getByLabel('New password', { exact: true });
      // The API's own validation message, under the field.
      await field.fill('short');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await until(async () => (await field.getAttribute('aria-invalid')) === 'true', 'the password error');
      const describedBy = (await field.getAttribute('aria-describedby'))!.split(' ').pop()!;
      expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/password must be longer than or equal to 10 characters/);
      expect(await seriousA11yViolations(page)).toEqual([]);

      const newPassword = 'a-brand-new-passphrase-7';
      await field.fill(newPassword);
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByText('Your password is changed').waitFor();
      // The old session ended with the reset.
      expect((await user.api.get('/v1/me')).status).toBe(401);

      await page.getByRole('link', { name: 'Log in with the new password' }).click();
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').getByText('Wrong email or password.').waitFor();
      await page.getByLabel('Password').fill(newPassword);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Create your first workspace' }).waitFor();
      // A reset proves the address too: no banner.
      expect(await page.getByRole('region', { name: 'E-mail verification' }).count()).toBe(0);

      // The link works once.
      await page.goto(linkIn(mail, '/reset-password'));
      await page.getByLabel('New password', { exact: true }).fill('yet-another-passphrase-8');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('alert').getByText(/invalid or has already been used|invalid or has expired/).waitFor();
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'a reset link opened while signed in: the session ends and the login page says why',
    async () => {
      const user = await signup(new ApiClient(t.baseUrl), 'Signedin');
      expect((await new ApiClient(t.baseUrl).post('/v1/auth/password-reset', { email: user.email })).status).toBe(202);
      const mail = await t.mailbox.waitFor(user.email, 'password-reset');
      const page = await openPage(user.token);
      await page.goto(linkIn(mail, '/reset-password'));
      await page.getByLabel('New password', { exact: true }).fill('signed-in-passphrase-3');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await page.getByText('Your password is changed and every session has ended.').waitFor();
      expect(await page.evaluate(() => localStorage.getItem('cc.token'))).toBeNull();
      expect((await user.api.get('/v1/me')).status).toBe(401);
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'account: sessions listed, one revoked, all others logged out; change password with errors by the field; log out ends the session',
    async () => {
      const user = await signup(new ApiClient(t.baseUrl), 'Sessions');
      const other1 = (await new ApiClient(t.baseUrl).post('/v1/auth/login', { email: user.email, password: TEST_PASSWORD })).body.token as string;
      const other2 = (await new ApiClient(t.baseUrl).post('/v1/auth/login', { email: user.email, password: TEST_PASSWORD })).body.token as string;
      const page = await openPage(user.token);
      await page.goto(`${t.baseUrl}/`);
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
      const sessions = page.getByRole('region', { name: 'Sessions' }).locator('tbody tr');
      await until(async () => (await sessions.count()) === 3, 'three sessions');
      expect(await page.getByText('This session').count()).toBe(1);
      expect(await seriousA11yViolations(page)).toEqual([]);

      await page.getByRole('button', { name: /^Revoke session/ }).first().click();
      await page.getByText('Session revoked.').waitFor();
      await until(async () => (await sessions.count()) === 2, 'two sessions');
      const alive = async (token: string) => (await new ApiClient(t.baseUrl, token).get('/v1/me')).status === 200;
      expect([await alive(other1), await alive(other2)].filter(Boolean)).toHaveLength(1);

      await page.getByRole('button', { name: 'Log out other sessions' }).click();
      await page.getByRole('dialog', { name: 'Log out every other session?' }).getByRole('button', { name: 'Log out other sessions' }).click();
      await page.getByText('Every other session has ended.').waitFor();
      expect(await alive(other1)).toBe(false);
      expect(await alive(other2)).toBe(false);
      expect(await alive(user.token)).toBe(true);

      // Change password: a wrong current password and a too-short new one, each under its field.
      const form = page.getByRole('form', { name: 'Change password' });
      await form.getByLabel('Current password').fill('not-my-password');
      await form.getByLabel('New password', { exact: true }).fill('another-passphrase-9');
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByText('The current password is not correct').waitFor();
      expect(await form.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
      await form.getByLabel('Current password').fill(TEST_PASSWORD);
      await form.getByLabel('New password', { exact: true }).fill('short');
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByText(/newPassword must be longer than or equal to 10 characters/).waitFor();
      await form.getByLabel('New password', { exact: true }).fill('another-passphrase-9');
      await form.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed.').waitFor();
      expect((await new ApiClient(t.baseUrl).post('/v1/auth/login', { email: user.email, password: 'another-passphrase-9' })).status).toBe(200);

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      expect(await alive(user.token)).toBe(false);
    },
    BROWSER_TEST_TIMEOUT,
  );
});
