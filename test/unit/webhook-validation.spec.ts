import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/event-catalog';
import { defineAbilityFor } from '../../src/permissions/ability.factory';
import { unreadableEventTypes } from '../../src/webhooks/subscription-policy';
import { CreateWebhookDto, UpdateWebhookDto } from '../../src/webhooks/webhook.dto';

async function errors(cls: typeof CreateWebhookDto | typeof UpdateWebhookDto, body: object): Promise<string[]> {
  const result = await validate(plainToInstance(cls, body), { whitelist: true, forbidNonWhitelisted: true });
  return result.flatMap((e) => Object.values(e.constraints ?? {}));
}

const valid = { name: 'CRM', url: 'https://hooks.example.com/x', events: ['investment.created'] };

describe('CreateWebhookDto', () => {
  it('accepts a minimal and a full body', async () => {
    expect(await errors(CreateWebhookDto, valid)).toEqual([]);
    expect(await errors(CreateWebhookDto, { ...valid, description: null, enabled: false, events: [...EVENT_TYPES] })).toEqual([]);
  });

  it('names the unknown event types', async () => {
    const messages = await errors(CreateWebhookDto, { ...valid, events: ['investment.created', 'investment.exploded', 'nope'] });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('"investment.exploded", "nope"');
    expect(messages[0]).not.toContain('"investment.created"');
  });

  it('refuses empty, duplicate and non-array events', async () => {
    expect((await errors(CreateWebhookDto, { ...valid, events: [] })).join()).toMatch(/events should not be empty/);
    expect((await errors(CreateWebhookDto, { ...valid, events: ['memo.created', 'memo.created'] })).join()).toMatch(/unique/);
    expect((await errors(CreateWebhookDto, { ...valid, events: 'memo.created' })).join()).toMatch(/must be an array/);
  });

  it('requires name, url and events, within their limits', async () => {
    expect(await errors(CreateWebhookDto, {})).toEqual(
      expect.arrayContaining(['name must be a string', 'url must be a string', 'events must be an array']),
    );
    expect((await errors(CreateWebhookDto, { ...valid, name: 'x'.repeat(201) })).join()).toMatch(/name must be shorter/);
    expect((await errors(CreateWebhookDto, { ...valid, url: `https://a.example/${'x'.repeat(2048)}` })).join()).toMatch(/url must be shorter/);
    expect((await errors(CreateWebhookDto, { ...valid, description: 'x'.repeat(1001) })).join()).toMatch(/description must be shorter/);
  });

  it('refuses enabled: null and unknown fields', async () => {
    expect((await errors(CreateWebhookDto, { ...valid, enabled: null })).join()).toMatch(/enabled must be a boolean/);
    expect((await errors(CreateWebhookDto, { ...valid, secret: 'whsec_x' })).join()).toMatch(/property secret should not exist/);
  });
});

describe('UpdateWebhookDto', () => {
  it('accepts an empty patch and description: null', async () => {
    expect(await errors(UpdateWebhookDto, {})).toEqual([]);
    expect(await errors(UpdateWebhookDto, { description: null })).toEqual([]);
  });

  it('refuses null for name, url, events and enabled', async () => {
    for (const field of ['name', 'url', 'events', 'enabled']) {
      expect(await errors(UpdateWebhookDto, { [field]: null }), field).not.toEqual([]);
    }
  });

  it('names unknown event types', async () => {
    expect((await errors(UpdateWebhookDto, { events: ['team.renamed'] })).join()).toContain('"team.renamed"');
  });
});

describe('unreadableEventTypes', () => {
  const ability = (role: 'owner' | 'admin' | 'member' | 'viewer') => defineAbilityFor({ userId: 'u1', role, teamIds: [] });

  it('lets owners, admins and members subscribe to every type', () => {
    for (const role of ['owner', 'admin', 'member'] as const) expect(unreadableEventTypes(ability(role), EVENT_TYPES)).toEqual([]);
  });

  it('refuses the types whose subject the role can never read (a viewer and assumptions)', () => {
    expect(unreadableEventTypes(ability('viewer'), EVENT_TYPES)).toEqual(['assumption.created', 'assumption.updated', 'assumption.deleted']);
  });

  it('allows a subject readable only under conditions (a member with no team, investments)', () => {
    expect(unreadableEventTypes(ability('member'), ['investment.created'])).toEqual([]);
  });

  it('fails closed on unknown types', () => {
    expect(unreadableEventTypes(ability('owner'), ['webhook.test', 'x.created'])).toEqual(['webhook.test', 'x.created']);
  });
});
