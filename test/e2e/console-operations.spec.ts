import { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { launchChromium, seriousA11yViolations, until } from '../support/browser';
import { Receiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The console's operations views in Debian's Chromium against the real platform: the banner on a
 * disabled or failing webhook (from the webhook's own health), a webhook's health figures, the delivery search, the "why" view of an event,
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
      // One failing by the platform's count (4 failed attempts in a row over two deliveries: webhook.failing);
      // one whose single delivery failed (3 attempts): not failing yet, so not in the banner.
      receiver.script('/down', [500]);
      receiver.script('/flaky', [500]);
      const down = await ws.admin.api.post(`${base}/webhooks`, { name: 'Down endpoint', url: receiver.url('/down'), events: ['pipeline.created'] });
      const flaky = await ws.admin.api.post(`${base}/webhooks`, { name: 'Flaky endpoint', url: receiver.url('/flaky'), events: ['assumption.created'] });
      expect([down.status, flaky.status]).toEqual([201, 201]);
      for (const name of ['p1', 'p2']) expect((await ws.owner.api.post(`${base}/pipelines`, { name })).status).toBe(201);
      expect((await ws.owner.api.post(`${base}/assumptions`, { name: 'a1', value: 1 })).status).toBe(201);
      await until(async () => (await ws.admin.api.get(`${base}/webhooks/${down.body.id}`)).body.health === 'failing', 'the down webhook to be failing');
      const downView = (await ws.admin.api.get(`${base}/webhooks/${down.body.id}`)).body;
      expect(downView).toMatchObject({ enabled: true, health: 'failing', consecutiveFailures: 4, failingSince: expect.any(String) });
      await until(
        async () => (await ws.admin.api.get(`${base}/webhooks/${flaky.body.id}/deliveries`)).body.data?.[0]?.status === 'failed',
        'the flaky delivery to fail for good',
      );
      expect((await ws.admin.api.get(`${base}/webhooks/${flaky.body.id}`)).body).toMatchObject({ health: 'healthy', consecutiveFailures: 3 });
      expect((await ws.admin.api.get(`${base}/webhooks/${gone.body.id}`)).body).toMatchObject({ health: 'disabled', disabledReason: 'gone' });

      const page = await openPage(ws.admin.token);
      await page.goto(`${t.baseUrl}/w/${ws.id}/settings/developers`);
      const banner = page.getByRole('alert', { name: 'Webhook health' });
      await banner.getByText('Old endpoint').waitFor();
      const bannerText = await banner.textContent();
      expect(bannerText).toContain('Old endpoint was disabled (gone)');
      expect(bannerText).toContain('Down endpoint is failing: 4+ failed attempts in a row since');
      expect(bannerText).not.toContain('Flaky endpoint');
      expect(bannerText).not.toContain('CRM sync');
      // The list says the same: Down endpoint's state is failing.
      const downRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Down endpoint' }) });
      expect(await downRow.locator('td').nth(2).locator('.badge').textContent()).toBe('failing');
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
