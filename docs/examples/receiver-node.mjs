// A Countercyclical webhook receiver for Node.js 18+, with no dependencies.
//
//   WEBHOOK_SECRET=whsec_... PORT=4000 node receiver-node.mjs
//
// Or import it: `verifyWebhook` checks one delivery; `createWebhookHandler` is a complete
// `http` request handler (verify → deduplicate → your code → 2xx). CI runs this very file against
// real deliveries from the platform (test/e2e/receiver-snippets.spec.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Deliveries whose webhook-timestamp is further than this from now are refused (replays). */
export const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;

export class WebhookVerificationError extends Error {}

function header(headers, name) {
  const value = typeof headers.get === 'function' ? headers.get(name) : headers[name];
  return Array.isArray(value) ? value.join(' ') : (value ?? '');
}

/**
 * Verifies one delivery and returns the parsed event, or throws WebhookVerificationError.
 *
 * @param {string} secret   the webhook's signing secret, `whsec_<base64>`
 * @param {object} headers  the request headers (a plain object with lower-case names, or a Headers)
 * @param {Buffer|string} rawBody  the body EXACTLY as received: verify before parsing JSON
 */
export function verifyWebhook(secret, headers, rawBody, { now = Date.now(), toleranceSeconds = TOLERANCE_SECONDS } = {}) {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) {
    throw new WebhookVerificationError('webhook-timestamp is too far from now');
  }
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  // One `v1,<base64>` per live secret, space-separated (two while a rotated-out secret still signs).
  const valid = signatures.split(' ').some((entry) => {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') return false;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new WebhookVerificationError('no valid signature');
  return JSON.parse(body.toString('utf8'));
}

/**
 * A request handler for `http.createServer`: verifies each delivery, skips one already processed
 * (deliveries are at-least-once: the same event id can arrive again), awaits `onEvent(event)`,
 * then answers 204. Bad signature → 400 (not retried usefully: check the secret); an error thrown
 * by `onEvent` → 500, and the platform retries later.
 *
 * `secret` may be a function, so a rotated secret can be swapped in without restarting.
 * `processed` must survive restarts in production (e.g. a table with a unique event id column);
 * the in-memory default is for trying things out.
 */
export function createWebhookHandler(secret, onEvent, { processed = new Set() } = {}) {
  return (req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', async () => {
      let event;
      try {
        event = verifyWebhook(typeof secret === 'function' ? secret() : secret, req.headers, Buffer.concat(chunks));
      } catch (err) {
        return void res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err.message));
      }
      if (processed.has(event.id)) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('already processed');
      try {
        await onEvent(event);
        processed.add(event.id);
        res.writeHead(204).end();
      } catch (err) {
        console.error(`event ${event.id} failed; the platform will retry it`, err);
        res.writeHead(500).end();
      }
    });
  };
}

// Run as a script: listen and print every verified event.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error('Set WEBHOOK_SECRET to the webhook secret (whsec_...)');
  const server = createServer(
    createWebhookHandler(secret, (event) => {
      console.log(`verified ${event.id} ${event.type}`, JSON.stringify(event.data.object));
    }),
  );
  server.listen(Number(process.env.PORT ?? 4000), () => console.log(`listening on ${server.address().port}`));
}
