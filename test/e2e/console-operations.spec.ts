import { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { launchChromium, seriousA11yViolations, until } from '../support/browser';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The console's operations views in Debian's Chromium against the real platform: the banner on a
 * disabled webhook, a webhook's health figures, the delivery search, the "why" view of an event,
 * and the audit log (admins; members are told it is not for them).
 */
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };

const BROWSER_TEST_TIMEOUT = 120_000;

describe('console operations pages (Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let ws: TestWorkspace;
  const receiver = new Receiver();
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(), launchChromium(), receiver.start()]);
    ws = await seedWorkspace(new ApiClient(t.baseUrl));
  }, 120_000);

  afterEach(() => {
    const errors = pageErrors.splice(0);
    expect(errors, 'uncaught errors in the console').toEqual([]);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await t?.close();
    await receiver.stop();
  });

  async function openPage(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    contexts.push(context);
    context.setDefaultTimeout(20_000);
    await context.addInitScript((value) => localStorage.setItem('cc.token', value), token);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    return page;
  }

  it(
    'banner on a disabled webhook, health figures, delivery search → why view, audit log',
    async () => {
      const base = `/v1/workspaces/${ws.id}`;
      // One healthy webhook with a delivery; one the platform disabled (the endpoint answered 410).
      const ok = await ws.admin.api.post(`${base}/webhooks`, { name: 'CRM sync', url: receiver.url('/ok'), events: ['investment.created'] });
      receiver.script('/gone', [410]);
      const gone = await ws.admin.api.post(`${base}/webhooks`, { name: 'Old endpoint', url: receiver.url('/gone'), events: ['investment.created'] });
      expect([ok.status, gone.status]).toEqual([201, 201]);
      const investment = await ws.owner.api.post(`${base}/investments`, { name: 'Acme', teamId: ws.teamB, amount: 1 });
      await receiver.waitFor(() => receiver.on('/ok').length === 1 && receiver.on('/gone').length === 1, 10_000, 'both deliveries');
      await until(async () => (await ws.admin.api.get(`${base}/webhooks/${gone.body.id}`)).body.enabled === false, 'the 410 to disable it');
      const eventId = JSON.parse(receiver.on('/ok')[0].body).id as string;

      const page = await openPage(ws.admin.token);
      await page.goto(`${t.baseUrl}/w/${ws.id}/settings/developers`);
      const banner = page.getByRole('alert', { name: 'Webhook health' });
      await banner.getByText('Old endpoint').waitFor();
      expect(await banner.textContent()).toContain('was disabled (gone)');
      expect(await seriousA11yViolations(page)).toEqual([]);

      // Health figures on the healthy webhook's logs page.
      await page.goto(`${t.baseUrl}/w/${ws.id}/settings/developers/webhooks/${ok.body.id}/logs`);
      const health = page.getByRole('region', { name: 'Health, last 24 hours' });
      await health.getByText('100.0 %').waitFor();

      // The delivery search, filtered by the object, then the event's "why".
      await page.getByRole('link', { name: 'Deliveries' }).click();
      await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor();
      await page.getByLabel('Object id').fill(investment.body.id);
      await page.getByRole('link', { name: eventId }).first().click();
      await page.getByRole('heading', { name: `Event ${eventId}` }).waitFor();
      await page.getByText('CRM sync').waitFor();
      const decisions = await page.locator('ul.decisions').textContent();
      expect(decisions).toContain('CRM sync: delivered');
      expect(decisions).toContain('Old endpoint: delivered');
      expect(await seriousA11yViolations(page)).toEqual([]);

      // The audit log: the webhooks the admin created.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await page.getByRole('cell', { name: 'webhook.created' }).first().waitFor();
      expect(await page.getByRole('cell', { name: 'webhook.created' }).count()).toBeGreaterThanOrEqual(2);
      expect(await seriousA11yViolations(page)).toEqual([]);

      // A member: their own deliveries only, and no audit log.
      const member = await openPage(ws.member.token);
      await member.goto(`${t.baseUrl}/w/${ws.id}/settings/audit-log`);
      await member.getByText('Only owners and admins can read the audit log.').waitFor();
      await member.goto(`${t.baseUrl}/w/${ws.id}/settings/deliveries`);
      await member.getByText('No deliveries match.').waitFor();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
