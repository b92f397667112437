import fc from 'fast-check';
import { gzipSync } from 'node:zlib';

/**
 * Request generators for the API fuzz (test/e2e/api-fuzz.spec.ts), driven by the OpenAPI document:
 * every generated request is guaranteed to be refused (it corrupts its principal, a path or query
 * parameter, its method, its raw body or at least one property of its DTO), so every answer must
 * be a 4xx and no row may change.
 */

export interface OpenApiSchema {
  type?: string;
  format?: string;
  enum?: string[];
  items?: OpenApiSchema;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  nullable?: boolean;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  example?: unknown;
  $ref?: string;
  additionalProperties?: boolean | OpenApiSchema;
}

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: OpenApiSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: OpenApiSchema }> };
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

export interface Route {
  /** "POST /v1/workspaces/{wid}/investments" */
  key: string;
  method: string;
  template: string;
  pathParams: string[];
  queryParams: OpenApiParameter[];
  /** The DTO schema of the JSON body, resolved from components.schemas. */
  body?: { name: string; schema: OpenApiSchema };
  secured: boolean;
}

/** How a request is made invalid. */
export type Corruption = 'auth' | 'foreign-principal' | 'path' | 'query' | 'body' | 'raw-body' | 'method';

export type Principal = 'owner' | 'admin' | 'member' | 'viewer' | 'memberKey' | 'outsider' | 'outsiderKey' | 'anonymous';

export interface FuzzRequest {
  corruption: Corruption | 'boundary';
  /** What exactly is wrong with it, for the failure report. */
  why: string;
  route: string;
  method: string;
  path: string;
  principal: Principal | 'bad-credentials';
  headers: Record<string, string>;
  body?: string | Buffer | { stream: number };
}

/** The seeded world the generators draw valid and invalid values from. */
export interface FuzzWorld {
  tokens: Record<Exclude<Principal, 'anonymous'>, string>;
  revokedToken: string;
  /** Valid value of a path parameter, by the path segment before it ("investments" for .../investments/{id}). */
  validIds: Record<string, string>;
  /** Ids of rows of every kind in the fuzzed workspace, by kind (the same keys as validIds). */
  idsByKind: Record<string, string[]>;
  /** Ids of rows in another workspace (the outsider's), by kind. */
  foreignIdsByKind: Record<string, string[]>;
  /** Valid values of body properties that name other rows or must be real (teamId, investmentId, email of AddMemberDto, url). */
  validBodyValues: Record<string, unknown>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The served document is OpenAPI 3.1, where a nullable field is `type: [t, 'null']` (and a nullable
 * enum lists null); the generators read the 3.0 shape, `type: t` plus `nullable: true`.
 */
export function withNullableFlags<T>(node: T): T {
  if (Array.isArray(node)) node.forEach(withNullableFlags);
  else if (node && typeof node === 'object') {
    const schema = node as Record<string, unknown>;
    if (Array.isArray(schema.type) && schema.type.includes('null')) {
      const types = schema.type.filter((t) => t !== 'null');
      schema.type = types.length === 1 ? types[0] : types;
      schema.nullable = true;
      if (Array.isArray(schema.enum)) schema.enum = schema.enum.filter((v) => v !== null);
    }
    for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples' && key !== 'enum') withNullableFlags(value);
  }
  return node;
}

function resolve(doc: OpenApiDocument, schema: OpenApiSchema | undefined): OpenApiSchema | undefined {
  if (!schema?.$ref) return schema;
  return doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
}

export function routesOf(doc: OpenApiDocument): Route[] {
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!METHODS.includes(method)) continue;
      const params = op.parameters ?? [];
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const resolved = resolve(doc, bodySchema);
      routes.push({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        pathParams: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        queryParams: params.filter((p) => p.in === 'query'),
        body: resolved ? { name: bodySchema?.$ref?.split('/').pop() ?? 'inline', schema: resolved } : undefined,
        secured: (op.security ?? []).length > 0,
      });
    }
  }
  return routes;
}

/** The path segment that names what a path parameter identifies. */
function paramKind(template: string, param: string): string {
  const segments = template.split('/');
  const at = segments.indexOf(`{${param}}`);
  return segments[at - 1];
}

function isListRoute(route: Route): boolean {
  return route.method === 'GET' && route.queryParams.some((p) => p.name === 'limit');
}

/** The corruptions that are guaranteed to be refused on this route. */
export function corruptionsFor(route: Route, doc: OpenApiDocument): Corruption[] {
  const out: Corruption[] = [];
  if (route.secured) out.push('auth');
  if (route.pathParams.includes('wid')) out.push('foreign-principal');
  if (route.pathParams.length > 0) out.push('path');
  if (isListRoute(route)) out.push('query');
  if (route.body) out.push('body');
  if (route.method !== 'GET') out.push('raw-body');
  if (otherMethods(route.template, doc).length > 0) out.push('method');
  return out;
}

/** Methods that no documented route serves on a path matching this template (HEAD/OPTIONS left out). */
function otherMethods(template: string, doc: OpenApiDocument): string[] {
  const sample = template.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
  const served = new Set<string>();
  for (const [other, operations] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${other.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(sample)) for (const m of Object.keys(operations)) served.add(m);
  }
  return METHODS.filter((m) => !served.has(m)).map((m) => m.toUpperCase());
}

// ---------- values ----------

type PropKind = 'string' | 'number' | 'boolean' | 'array' | 'object';

function propKind(s: OpenApiSchema): PropKind {
  if (s.type === 'array') return 'array';
  // A free-form JSON object (a webhook's filter): declared with additionalProperties.
  if (s.type === 'object' && s.additionalProperties) return 'object';
  if (s.type === 'number' || s.type === 'integer') return 'number';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'string') return 'string';
  // @nestjs/swagger documents `string | null` / `number | null` with no explicit type as "object": infer from the example.
  if (typeof s.example === 'number' || typeof s.minimum === 'number') return 'number';
  return 'string';
}

const INVALID_EMAILS = ['not-an-email', 'a@', '@example.com', 'a b@example.com', 'a@@example.com', 'ada@example', '', ' '];
const INVALID_CURRENCIES = ['ZZZ', 'QQQ', 'US', 'USDD', '12$', '', '€'];
const INVALID_URLS = [
  'not a url', 'ftp://127.0.0.1/x', 'javascript:alert(1)', 'http://', 'file:///etc/passwd', 'http://user:pass@127.0.0.1/x',
  '//127.0.0.1/x', 'http://[::1', 'mailto:a@example.com', '',
];
const INVALID_DATES = ['yesterday', '2026-13-01', '2026-02-30', '2026-11-26T25:00:00Z', '26/11/2026', '12345', '', '2026-11-26T00:00:00+99:00'];
const NOT_UUIDS = [
  'not-a-uuid', '00000000-0000-0000-0000-00000000000g', '00000000000000000000000000000000', '{00000000-0000-4000-8000-000000000000}',
  '00000000-0000-4000-8000-0000000000000', "' OR 1=1 --", '1', '-1', '0', 'null', 'undefined', '%00', '\u0000', 'ä', '😀'.repeat(3),
];

const anyJsonScalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null));

/** An object or array nested `depth` levels deep. */
function nested(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

const deeplyNested = fc
  .tuple(fc.oneof(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 51, max: 3000 })), anyJsonScalar, fc.boolean())
  .map(([depth, leaf, asArray]) => nested(depth, leaf, asArray));

function hugeString(length: number, char: string): string {
  return char.repeat(length);
}

/** Values of the wrong JSON type for a property of this kind (null excluded: see nullIfNotNullable). */
function wrongType(kind: PropKind): fc.Arbitrary<unknown> {
  const object = fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 8 }), anyJsonScalar, { maxKeys: 3 }), deeplyNested);
  switch (kind) {
    case 'string':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), object, fc.array(fc.string(), { maxLength: 3 }));
    case 'number':
      return fc.oneof(fc.integer().map(String), fc.constantFrom('1e3', 'NaN', 'Infinity', '', '0x10'), fc.boolean(), object, fc.array(fc.integer(), { maxLength: 3 }));
    case 'boolean':
      return fc.oneof(fc.constantFrom('true', 'false', 'yes', '', 1, 0), object, fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }));
    case 'array':
      return fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant({}), fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { minKeys: 1, maxKeys: 3 }));
    case 'object':
      return fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }));
  }
}

/** Values that break a documented constraint of the property (or a rule its name implies). */
function constraintBreakers(name: string, s: OpenApiSchema, kind: PropKind, world: FuzzWorld): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  if (kind === 'string') {
    if (s.maxLength !== undefined) {
      const max = s.maxLength;
      out.push(
        fc.tuple(fc.integer({ min: max + 1, max: max + 5 }), fc.constantFrom('a', 'é', '中', ' ')).map(([n, c]) => hugeString(n, c)),
        // Huge strings, still well under the 1 MB body limit so the validator (not the body parser) refuses them.
        fc.integer({ min: Math.max(max + 6, 1000), max: Math.max(max * 3, 300_000) }).map((n) => hugeString(n, 'x')),
      );
    }
    if (s.minLength !== undefined && s.minLength > 0) out.push(fc.string({ maxLength: s.minLength - 1 }));
    if (s.enum) {
      const allowed = new Set(s.enum);
      out.push(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom(...s.enum).map((e) => e.toUpperCase()),
          fc.constantFrom(...s.enum).map((e) => ` ${e}`),
          fc.constantFrom(...s.enum).map((e) => `${e}\u0000`),
        ).filter((v) => !allowed.has(v)),
      );
    }
    if (s.format === 'uuid') {
      out.push(fc.oneof(fc.constantFrom(...NOT_UUIDS), fc.string({ maxLength: 40 }).filter((v) => !UUID.test(v))));
      // A well-formed id that names no row of this workspace: a random one, another kind's, or another workspace's.
      if (name.endsWith('Id')) {
        const kind = name === 'teamId' ? 'teams' : name === 'investmentId' ? 'investments' : undefined;
        const others = Object.entries(world.idsByKind).filter(([k]) => k !== kind).flatMap(([, ids]) => ids);
        const foreign = Object.values(world.foreignIdsByKind).flat();
        out.push(fc.oneof(fc.uuid(), fc.constantFrom(...others, ...foreign)));
      }
    }
    if (s.format === 'date' || name === 'since' || name === 'valuedAt') out.push(fc.constantFrom(...INVALID_DATES));
    if (name === 'email') out.push(fc.constantFrom(...INVALID_EMAILS));
    if (name === 'currency') out.push(fc.constantFrom(...INVALID_CURRENCIES));
    if (name === 'url') out.push(fc.constantFrom(...INVALID_URLS));
  }
  if (kind === 'number') {
    if (s.minimum !== undefined) {
      const min = s.minimum;
      out.push(fc.oneof(fc.constant(min - 1), fc.constant(min - 1e-9), fc.double({ min: -1e15, max: min, noNaN: true })).filter((v) => v < min));
    }
    if (s.maximum !== undefined) {
      const max = s.maximum;
      out.push(fc.oneof(fc.constant(max + 1), fc.double({ min: max, max: 1e15, noNaN: true })).filter((v) => v > max));
    }
  }
  if (kind === 'array') {
    const items = s.items ?? { type: 'string' };
    const item = validValue(name, items, propKind(items), world);
    out.push(fc.array(wrongType(propKind(items)), { minLength: 1, maxLength: 3 }), fc.constant([null]));
    if (s.maxItems !== undefined) out.push(fc.array(item, { minLength: s.maxItems + 1, maxLength: s.maxItems + 20 }));
    if (items.enum) {
      const allowed = new Set(items.enum);
      out.push(
        fc
          .tuple(fc.array(item, { maxLength: 2 }), fc.string({ maxLength: 30 }).filter((v) => !allowed.has(v)))
          .map(([valid, bad]) => [...valid, bad]),
      );
    }
  }
  return out;
}

/** Every way to make this one property invalid. */
function invalidValue(name: string, s: OpenApiSchema, world: FuzzWorld): fc.Arbitrary<{ value: unknown; why: string }> {
  const kind = propKind(s);
  const options: fc.Arbitrary<{ value: unknown; why: string }>[] = [
    wrongType(kind).map((value) => ({ value, why: `${name}: wrong type` })),
    ...constraintBreakers(name, s, kind, world).map((a) => a.map((value) => ({ value, why: `${name}: breaks a constraint` }))),
  ];
  // Optional and not nullable in the document: an explicit null is still a wrong value.
  if (!s.nullable) options.push(fc.constant({ value: null, why: `${name}: null (not nullable)` }));
  return fc.oneof(...options);
}

function validValue(name: string, s: OpenApiSchema, kind: PropKind, world: FuzzWorld): fc.Arbitrary<unknown> {
  if (name in world.validBodyValues) return fc.constant(world.validBodyValues[name]);
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (kind) {
    case 'number':
      return fc.oneof(fc.constant(s.example ?? 1), fc.integer({ min: Math.max(s.minimum ?? -1000, -1000), max: Math.min(s.maximum ?? 1000, 1000) }));
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = s.items ?? { type: 'string' };
      if (items.enum) return fc.uniqueArray(fc.constantFrom(...items.enum), { minLength: 1, maxLength: 3 });
      return fc.oneof(fc.constant(s.example ?? []), fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 5 }));
    }
    default:
      if (s.example !== undefined && s.example !== null) return fc.constant(s.example);
      return fc.string({ minLength: 1, maxLength: Math.min(s.maxLength ?? 20, 20) });
  }
}

/** A body that breaks the DTO: 1–3 properties corrupted, or a required one missing, or an unknown one added. */
function invalidBody(schema: OpenApiSchema, world: FuzzWorld): fc.Arbitrary<{ value: unknown; why: string }> {
  const props = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const known = new Set(props.map(([n]) => n));
  const base = fc.record(
    Object.fromEntries(
      props.map(([n, s]) => {
        const valid = validValue(n, s, propKind(s), world);
        return [n, required.has(n) ? valid : fc.option(valid, { nil: undefined, freq: 2 })];
      }),
    ),
  );
  const strategies: fc.Arbitrary<{ value: unknown; why: string }>[] = [];
  if (props.length > 0) {
    const corrupt = fc.uniqueArray(fc.constantFrom(...props.map(([n]) => n)), { minLength: 1, maxLength: Math.min(3, props.length) }).chain((names) =>
      fc.tuple(...names.map((n) => invalidValue(n, schema.properties![n], world).map((bad) => [n, bad] as const))),
    );
    strategies.push(
      fc.tuple(base, corrupt).map(([body, bad]) => {
        const value: Record<string, unknown> = { ...body };
        for (const [n, { value: v }] of bad) value[n] = v;
        return { value, why: bad.map(([, b]) => b.why).join('; ') };
      }),
    );
  }
  if (required.size > 0) {
    strategies.push(
      fc.tuple(base, fc.constantFrom(...required)).map(([body, missing]) => {
        const value: Record<string, unknown> = { ...body };
        delete value[missing];
        return { value, why: `missing required ${missing}` };
      }),
    );
  }
  const unknownKey = fc.oneof(
    fc.constantFrom('id', 'workspaceId', 'createdById', 'authorId', 'createdAt', 'updatedAt', 'secret', 'role', 'isAdmin', 'ability_version',
      '__proto__', 'constructor', 'prototype', 'toString', '', ' ', 'name ', 'NAME', '$where'),
    fc.string({ minLength: 1, maxLength: 20 }),
  ).filter((k) => !known.has(k));
  strategies.push(
    fc.tuple(base, unknownKey, fc.oneof(anyJsonScalar, deeplyNested)).map(([body, key, extra]) => {
      const value: Record<string, unknown> = { ...body };
      // defineProperty so that "__proto__" becomes an own, serialised key rather than the prototype.
      Object.defineProperty(value, key, { value: extra, enumerable: true, writable: true, configurable: true });
      return { value, why: `unknown field ${JSON.stringify(key)}` };
    }),
  );
  return fc.oneof(...strategies);
}

// ---------- requests ----------

/** Any caller: each role, a member's API key, the outsider (and its key), or nobody; mostly callers allowed to get past the guards. */
const anyPrincipal = fc.oneof(
  { arbitrary: fc.constant<Principal>('owner'), weight: 4 },
  { arbitrary: fc.constantFrom<Principal>('admin', 'member', 'memberKey'), weight: 6 },
  { arbitrary: fc.constantFrom<Principal>('viewer', 'outsider', 'outsiderKey', 'anonymous'), weight: 3 },
);

/** How often each corruption is drawn, relative to the others on the same route. */
export const CORRUPTION_WEIGHTS: Record<Corruption, number> = {
  body: 6,
  'raw-body': 2,
  path: 3,
  query: 3,
  auth: 1,
  'foreign-principal': 1,
  method: 1,
};

function authHeader(principal: Principal, world: FuzzWorld): Record<string, string> {
  return principal === 'anonymous' ? {} : { authorization: `Bearer ${world.tokens[principal]}` };
}

function badCredentials(world: FuzzWorld): fc.Arbitrary<{ headers: Record<string, string>; why: string }> {
  const valid = world.tokens.owner;
  const accessPrefix = valid.slice(0, valid.indexOf('_') + 1);
  const keyPrefix = world.tokens.memberKey.slice(0, world.tokens.memberKey.indexOf('_') + 1);
  const header = fc.oneof(
    fc.constant(`Bearer ${world.revokedToken}`),
    fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !/\s/.test(s)).map((s) => `Bearer ${s}`),
    fc.string({ minLength: 1, maxLength: 40 }).map((s) => `Bearer ${accessPrefix}${s.replace(/\s/g, '')}`),
    fc.string({ minLength: 1, maxLength: 40 }).map((s) => `Bearer ${keyPrefix}${s.replace(/\s/g, '')}`),
    fc.constantFrom('Bearer', 'Bearer ', 'bearer', 'Basic dXNlcjpwYXNzd29yZA==', valid, `Bearer ${valid} extra`, `Bearer ${valid}x`,
      `Bearer ${valid.slice(0, -1)}`, `Token ${valid}`, `Bearer\t${valid.toUpperCase()}`),
    fc.integer({ min: 2_000, max: 12_000 }).map((n) => `Bearer ${'a'.repeat(n)}`),
  );
  return fc.oneof(
    { arbitrary: fc.constant({ headers: {}, why: 'no Authorization header' }), weight: 2 },
    { arbitrary: header.map((h) => ({ headers: { authorization: h }, why: `Authorization: ${h.slice(0, 60)}` })), weight: 5 },
  );
}

function fillPath(route: Route, world: FuzzWorld, overrides: Record<string, string> = {}): string {
  return route.template.replace(/\{(\w+)\}/g, (_m, p: string) => {
    if (p in overrides) return overrides[p];
    const id = world.validIds[paramKind(route.template, p)];
    if (!id) throw new Error(`No valid id for {${p}} of ${route.key}: add one to the fuzz world`);
    return id;
  });
}

/** A path segment that is not a valid id of what the parameter names. */
function badParam(route: Route, param: string, world: FuzzWorld, principal: Principal): fc.Arbitrary<{ segment: string; why: string }> {
  const kind = paramKind(route.template, param);
  const otherKinds = Object.entries(world.idsByKind).filter(([k]) => k !== kind).flatMap(([, ids]) => ids);
  // Another workspace's row of the same kind; for {wid} only when the caller is not a member of that workspace.
  const foreign = kind === 'workspaces' && (principal === 'outsider' || principal === 'outsiderKey') ? [] : (world.foreignIdsByKind[kind] ?? []);
  const notUuid = fc
    .oneof(fc.constantFrom(...NOT_UUIDS), fc.string({ minLength: 1, maxLength: 80 }), fc.integer({ min: 50, max: 3000 }).map((n) => 'z'.repeat(n)))
    .filter((s) => !UUID.test(s) && s !== '.' && s !== '..')
    .map((s) => ({ segment: encodeURIComponent(s), why: `{${param}} = ${JSON.stringify(s.slice(0, 40))}` }));
  const options = [
    notUuid,
    // Malformed percent-encoding, sent as is.
    fc.constantFrom('%', '%zz', '%E0%A4', '%C0%AF').map((s) => ({ segment: s, why: `{${param}} = raw ${s}` })),
    fc.uuid().map((s) => ({ segment: s, why: `{${param}} = random uuid` })),
  ];
  if (otherKinds.length) options.push(fc.constantFrom(...otherKinds).map((s) => ({ segment: s, why: `{${param}} = id of another kind` })));
  if (foreign.length) options.push(fc.constantFrom(...foreign).map((s) => ({ segment: s, why: `{${param}} = id in another workspace` })));
  return fc.oneof(...options);
}

const INVALID_LIMITS = ['0', '101', '-1', 'abc', '1.5', '', 'NaN', 'Infinity', '-0.5', '1e3', '10abc', '999999999999999999999', ' ', '-0'];
const GARBAGE_CURSORS = [
  Buffer.from('9999-99-99T99:99:99.999999|00000000-0000-4000-8000-000000000000').toString('base64url'),
  Buffer.from('0000-01-01T00:00:00.000000|00000000-0000-4000-8000-000000000000').toString('base64url'),
  Buffer.from(`2026-01-01T00:00:00.000000|${'-'.repeat(36)}`).toString('base64url'),
  Buffer.from('2026-01-01T00:00:00.000000').toString('base64url'),
  Buffer.from('|').toString('base64url'),
  'x'.repeat(201),
  '%00',
];
const VALID_CURSOR = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\|[0-9a-f-]{36}$/i;

function badQuery(route: Route): fc.Arbitrary<{ query: string; why: string }> {
  const names = new Set(route.queryParams.map((p) => p.name));
  const options: fc.Arbitrary<[string, string][]>[] = [
    fc.oneof(fc.constantFrom(...INVALID_LIMITS), fc.integer({ min: 101 }).map(String), fc.integer({ max: 0 }).map(String)).map((v) => [['limit', v]]),
    fc.constant([['limit', '1'], ['limit', '2']]),
    fc
      .oneof(fc.constantFrom(...GARBAGE_CURSORS), fc.string({ minLength: 1, maxLength: 60 }), fc.base64String({ minLength: 4, maxLength: 80 }))
      .filter((c) => !VALID_CURSOR.test(Buffer.from(c, 'base64url').toString('utf8')))
      .map((v) => [['cursor', v]]),
  ];
  const status = route.queryParams.find((p) => p.name === 'status')?.schema?.enum;
  if (status) {
    const allowed = new Set(status);
    options.push(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...status).map((s) => s.toUpperCase())).filter((s) => !allowed.has(s)).map((v) => [['status', v]]));
  }
  if (names.has('eventType')) options.push(fc.constant([['eventType', 'x'.repeat(101)]]), fc.constant([['eventType', 'a'], ['eventType', 'b']]));
  return fc.tuple(fc.oneof(...options), fc.option(fc.constantFrom<[string, string]>(['limit', '10'], ['cursor', 'abc']), { nil: undefined })).map(([bad, extra]) => {
    const pairs = extra && !bad.some(([k]) => k === extra[0]) ? [...bad, extra] : bad;
    return { query: new URLSearchParams(pairs).toString(), why: `query ${pairs.map(([k, v]) => `${k}=${v.slice(0, 30)}`).join('&')}` };
  });
}

/** Junk query parameters that no route reads; on list routes they are refused as unknown. */
const junkQuery = fc.option(
  fc.constantFrom('foo=bar', '__proto__[x]=1', 'limit[$gt]=1', 'a=%00', 'x=' + 'y'.repeat(500)),
  { nil: undefined, freq: 4 },
);

function withQuery(path: string, query: string | undefined): string {
  return query ? `${path}?${query}` : path;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A body that some route would accept, or noise: what rides along when something else is corrupted. */
function anyBody(route: Route, world: FuzzWorld): fc.Arbitrary<string | undefined> {
  if (route.method === 'GET') return fc.constant(undefined);
  if (!route.body) return fc.option(fc.constant('{}'), { nil: undefined });
  const props = Object.entries(route.body.schema.properties ?? {});
  const valid = fc.record(Object.fromEntries(props.map(([n, s]) => [n, validValue(n, s, propKind(s), world)])));
  return fc.oneof(valid.map((v) => JSON.stringify(v)), invalidBody(route.body.schema, world).map((b) => JSON.stringify(b.value)));
}

let bomb: Buffer | undefined;
function gzipBomb(): Buffer {
  bomb ??= gzipSync(JSON.stringify({ name: ' '.repeat(5_000_000) }));
  return bomb;
}

function rawBody(route: Route): fc.Arbitrary<{ headers: Record<string, string>; body: FuzzRequest['body']; why: string }> {
  const hasRequired = (route.body?.schema.required ?? []).length > 0;
  const options: fc.Arbitrary<{ headers: Record<string, string>; body: FuzzRequest['body']; why: string }>[] = [
    fc
      .oneof(
        fc.constantFrom('{', '{"name":', '{name: "x"}', "{'a':1}", '{"a":1,}', 'nul', '{"a":1}}', '\u0000', '{"a":"\\x"}', '[1,2', '{"a":NaN}'),
        fc.string({ minLength: 1, maxLength: 50 }).filter((s) => {
          try {
            JSON.parse(s);
            return false;
          } catch {
            return s.trim().length > 0;
          }
        }),
      )
      .map((body) => ({ headers: JSON_HEADERS, body, why: `invalid JSON ${JSON.stringify(body.slice(0, 30))}` })),
    // Strict JSON parsing: a bare scalar at the top level is refused.
    fc.constantFrom('null', '1', '"text"', 'true', '-0.5').map((body) => ({ headers: JSON_HEADERS, body, why: `top-level ${body}` })),
    fc.constantFrom('latin1', 'koi8-r', 'ascii', 'iso-8859-1').map((charset) => ({
      headers: { 'content-type': `application/json; charset=${charset}` },
      body: '{}',
      why: `charset ${charset}`,
    })),
    fc.constant({ headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: Buffer.from('not gzip at all'), why: 'broken gzip' }),
    fc.constantFrom('zz', 'compress', 'gzip, zz').map((encoding) => ({
      headers: { ...JSON_HEADERS, 'content-encoding': encoding },
      body: '{}',
      why: `content-encoding ${encoding}`,
    })),
  ];
  const oversized = [
    fc.integer({ min: 1_048_577, max: 1_300_000 }).map((n) => ({
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: 'x'.repeat(n) }),
      why: `${n}-byte body`,
    })),
    fc.constant({ headers: JSON_HEADERS, body: { stream: 1_200_000 }, why: 'chunked body over 1 MB' }),
    // A small compressed body that inflates past the limit.
    fc.constant(null).map(() => ({ headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: gzipBomb(), why: 'gzip bomb (5 MB inflated)' })),
  ];
  if (route.body) {
    // Arrays where an object is expected.
    options.push(
      fc.constantFrom('[]', '[{}]', '[[]]', `[${JSON.stringify({ name: 'x' })}]`).map((body) => ({ headers: JSON_HEADERS, body, why: `array body ${body.slice(0, 20)}` })),
    );
  }
  if (hasRequired) {
    options.push(
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/vnd.api+json').map((ct) => ({
        headers: { 'content-type': ct },
        body: ct.includes('form-urlencoded') ? 'name=x&email=a%40example.com' : '{"name":"x"}',
        why: `content-type ${ct}`,
      })),
    );
  }
  return fc.oneof({ arbitrary: fc.oneof(...options), weight: 30 }, { arbitrary: fc.oneof(...oversized), weight: 1 });
}

/** One request on `route`, made invalid in the way `corruption` names. */
export function requestArb(route: Route, corruption: Corruption, world: FuzzWorld, doc: OpenApiDocument): fc.Arbitrary<FuzzRequest> {
  const base = { corruption, route: route.key };
  const bodyHeaders = (body: string | undefined) => (body === undefined ? {} : JSON_HEADERS);
  switch (corruption) {
    case 'auth':
      return fc.tuple(badCredentials(world), anyBody(route, world), junkQuery).map(([cred, body, q]) => ({
        ...base,
        why: cred.why,
        method: route.method,
        path: withQuery(fillPath(route, world), q),
        principal: 'bad-credentials' as const,
        headers: { ...bodyHeaders(body), ...cred.headers },
        body,
      }));
    case 'foreign-principal':
      return fc.tuple(fc.constantFrom<Principal>('outsider', 'outsiderKey'), anyBody(route, world), junkQuery).map(([principal, body, q]) => ({
        ...base,
        why: `${principal} is not a member of the workspace`,
        method: route.method,
        path: withQuery(fillPath(route, world), q),
        principal,
        headers: { ...bodyHeaders(body), ...authHeader(principal, world) },
        body,
      }));
    case 'path':
      return fc
        .tuple(anyPrincipal, fc.subarray(route.pathParams, { minLength: 1 }))
        .chain(([principal, params]) =>
          fc.tuple(
            fc.constant(principal),
            fc.tuple(...params.map((p) => badParam(route, p, world, principal).map((bad) => [p, bad] as const))),
            anyBody(route, world),
            junkQuery,
          ),
        )
        .map(([principal, bad, body, q]) => ({
          ...base,
          why: bad.map(([, b]) => b.why).join('; '),
          method: route.method,
          path: withQuery(fillPath(route, world, Object.fromEntries(bad.map(([p, b]) => [p, b.segment]))), q),
          principal,
          headers: { ...bodyHeaders(body), ...authHeader(principal, world) },
          body,
        }));
    case 'query':
      return fc.tuple(anyPrincipal, badQuery(route)).map(([principal, q]) => ({
        ...base,
        why: q.why,
        method: route.method,
        path: withQuery(fillPath(route, world), q.query),
        principal,
        headers: authHeader(principal, world),
      }));
    case 'body':
      return fc.tuple(anyPrincipal, invalidBody(route.body!.schema, world), junkQuery).map(([principal, body, q]) => ({
        ...base,
        why: body.why,
        method: route.method,
        path: withQuery(fillPath(route, world), q),
        principal,
        headers: { ...JSON_HEADERS, ...authHeader(principal, world) },
        body: JSON.stringify(body.value),
      }));
    case 'raw-body':
      return fc.tuple(anyPrincipal, rawBody(route)).map(([principal, raw]) => ({
        ...base,
        why: raw.why,
        method: route.method,
        path: fillPath(route, world),
        principal,
        headers: { ...raw.headers, ...authHeader(principal, world) },
        body: raw.body,
      }));
    case 'method':
      return fc.tuple(anyPrincipal, fc.constantFrom(...otherMethods(route.template, doc))).map(([principal, method]) => ({
        ...base,
        why: `${method} is not served here`,
        method,
        path: fillPath(route, world),
        principal,
        headers: { ...(method === 'GET' ? {} : JSON_HEADERS), ...authHeader(principal, world) },
        body: method === 'GET' ? undefined : '{}',
      }));
  }
}

/**
 * As the owner, on valid paths, with every other property valid: for each property of the route's DTO,
 * an explicit null (when not nullable), `samples` other invalid values, and its absence when required.
 */
export function propertyCorruptions(route: Route, world: FuzzWorld, seed: number, samples = 3): FuzzRequest[] {
  if (!route.body) return [];
  const schema = route.body.schema;
  const props = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const valid = () => Object.fromEntries(props.map(([n, ps]) => [n, plainValidValue(n, ps, world)]));
  const bodies: { body: Record<string, unknown>; why: string }[] = [];
  for (const [name, ps] of props) {
    const bad = fc.sample(invalidValue(name, ps, world), { numRuns: samples, seed: seed + name.length });
    if (!ps.nullable) bad.push({ value: null, why: `${name}: null (not nullable)` });
    for (const { value, why } of bad) bodies.push({ body: { ...valid(), [name]: value }, why });
    if (required.has(name)) {
      const body = valid();
      delete body[name];
      bodies.push({ body, why: `missing required ${name}` });
    }
  }
  return bodies.map(({ body, why }) => ({
    corruption: 'body' as const,
    why,
    route: route.key,
    method: route.method,
    path: fillPath(route, world),
    principal: 'owner' as const,
    headers: { ...JSON_HEADERS, authorization: `Bearer ${world.tokens.owner}` },
    body: JSON.stringify(body),
  }));
}

/** A compact, replayable description of a request for failure reports. */
export function describeRequest(req: FuzzRequest): string {
  const body =
    req.body === undefined
      ? ''
      : typeof req.body === 'string'
        ? ` body=${req.body.length > 300 ? `${req.body.slice(0, 300)}… (${req.body.length} chars)` : req.body}`
        : Buffer.isBuffer(req.body)
          ? ` body=<${req.body.length} bytes>`
          : ` body=<chunked ${req.body.stream} bytes>`;
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…` : v}`)
    .join(', ');
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
  return `[${req.corruption}: ${req.why}] ${req.method} ${path} as ${req.principal} {${headers}}${body}`;
}

// ---------- boundary values (may be accepted) ----------

const TRICKY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\u202eevil', '\u200b', "'; DROP TABLE users; --", '%s%n%x', '${7*7}',
  '<script>alert(1)</script>', '\\', '\n\t\r', '{"a":1}', 'null', 'e\u0301',
];
const EDGE_NUMBERS = [0, -0, 1, -1, 0.1, 1e-7, 5e-324, 1e21, 2 ** 53 + 2, 123456789012345.678, Number.MAX_VALUE, -Number.MAX_VALUE];
const EDGE_DATES = ['0001-01-01', '9999-12-31', '1970-01-01', '2024-02-29', '2026-09-30T10:00:00Z', '+275760-09-13'];
const EDGE_TIMESTAMPS = [
  '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-11-26T00:00:00.123456789Z', '2026-11-26', '2026-11-26T00:00:00+14:00',
  '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '2026', '2026-11',
  // ISO 8601 forms isISO8601 accepts but `new Date()` cannot parse (recover answered them with a 500).
  '2026-W48', '2026-W48-5', '2026-330', '20261126T000000Z',
];
const EDGE_EMAILS = ['A@EXAMPLE.COM', 'a+tag@example.com', 'ä@example.com', `${'a'.repeat(64)}@example.com`, 'a@[127.0.0.1]', '"quoted"@example.com'];
const EDGE_CURRENCIES = ['usd', 'Usd', 'XXX', 'XTS', 'EUR'];
/** Loopback, or a public IP literal: nothing here needs a DNS lookup of a public name. */
const EDGE_URLS = [
  'http://127.0.0.1:1/', 'http://[::1]/x', 'http://0x7f000001/', 'http://2130706433/', 'http://127.0.0.1/%00', `http://127.0.0.1/${'a'.repeat(2000)}`,
  'https://93.184.216.34/x', 'HTTP://LOCALHOST/x', 'http://127.0.0.1:65535/', 'http://127.0.0.1:0/', 'http://127.0.0.1/a?b=c#d', 'http://[::ffff:127.0.0.1]/',
];

/** Values at or past the edges of what a property allows: each may be accepted or refused, never a 5xx. */
function boundaryValues(name: string, s: OpenApiSchema, world: FuzzWorld): unknown[] {
  const kind = propKind(s);
  if (kind === 'boolean') return [true, false];
  if (kind === 'object') return [{}, { $where: '1' }, { 'object.x': { $regex: 'a' } }, { a: { b: { c: { d: 1 } } } }, { 'object.id': { $in: 1 } }, { ['x'.repeat(5000)]: 1 }];
  if (kind === 'number') return [...EDGE_NUMBERS, ...[s.minimum, s.maximum].filter((v) => v !== undefined)];
  if (kind === 'array') {
    const items = s.items ?? { type: 'string' };
    const max = s.maxItems ?? 60;
    if (items.enum) return [[], items.enum, [items.enum[0], items.enum[0]], [items.enum[0].toUpperCase()]];
    return [[], [''], ['\u0000'], ['a', 'a'], Array.from({ length: max }, (_, i) => `s${i}`), Array.from({ length: max }, () => 'x'.repeat(10_000)), TRICKY_STRINGS];
  }
  if (s.enum) return [...s.enum, ...s.enum.map((e) => e.toUpperCase())];
  if (s.format === 'uuid') {
    const ids = Object.values(world.idsByKind).flat();
    return [String(world.validBodyValues[name] ?? ids[0]).toUpperCase(), ...Object.values(world.foreignIdsByKind).flat(), ...ids, '00000000-0000-0000-0000-000000000000'];
  }
  if (name === 'since') return EDGE_TIMESTAMPS;
  if (s.format === 'date' || name === 'valuedAt') return EDGE_DATES;
  if (name === 'email') return EDGE_EMAILS;
  if (name === 'currency') return EDGE_CURRENCIES;
  if (name === 'url') return EDGE_URLS;
  const max = s.maxLength ?? 10_000;
  return [...TRICKY_STRINGS, 'a'.repeat(max), '😀'.repeat(max), '中'.repeat(max), 'e\u0301'.repeat(Math.floor(max / 2))];
}

function plainValidValue(name: string, s: OpenApiSchema, world: FuzzWorld): unknown {
  if (name in world.validBodyValues) return world.validBodyValues[name];
  if (s.enum) return s.enum[0];
  if (s.example !== undefined && s.example !== null) return s.example;
  const kind = propKind(s);
  return kind === 'number' ? 1 : kind === 'boolean' ? false : kind === 'array' ? [] : kind === 'object' ? {} : 'x';
}

/**
 * As the owner, on valid paths: every body property of every route at each of its boundary values
 * (the others valid), then list queries at their edges and upper-case ids. Webhooks are always
 * sent `enabled: false`, so no delivery goes anywhere but 127.0.0.1.
 */
export function boundaryRequests(routes: Route[], world: FuzzWorld): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const headers = { ...JSON_HEADERS, authorization: `Bearer ${world.tokens.owner}` };
  for (const route of routes) {
    const props = Object.entries(route.body?.schema.properties ?? {});
    for (const [name, s] of props) {
      for (const edge of boundaryValues(name, s, world)) {
        const body: Record<string, unknown> = Object.fromEntries(props.map(([n, ps]) => [n, plainValidValue(n, ps, world)]));
        body[name] = edge;
        if ('enabled' in body) body.enabled = false;
        out.push({
          corruption: 'boundary',
          why: `${name} = ${JSON.stringify(edge).slice(0, 40)}`,
          route: route.key,
          method: route.method,
          path: fillPath(route, world),
          principal: 'owner',
          headers,
          body: JSON.stringify(body),
        });
      }
    }
    if (route.method === 'GET') {
      const queries = isListRoute(route)
        ? [
            'limit=1', 'limit=100', 'limit=001', 'limit=%201', 'limit=1.0',
            `cursor=${Buffer.from('2026-01-01T00:00:00.000000|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
            `cursor=${Buffer.from('1970-01-01T00:00:00.000000|FFFFFFFF-FFFF-4FFF-8FFF-FFFFFFFFFFFF').toString('base64url')}`,
            `cursor=${Buffer.from('294277-01-01T00:00:00.000000|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
            ...(route.queryParams.find((p) => p.name === 'status')?.schema?.enum ?? []).map((v) => `status=${v}`),
            ...(route.queryParams.some((p) => p.name === 'eventType') ? ['eventType=%00', 'eventType=memo.created', `eventType=${'x'.repeat(100)}`] : []),
          ]
        : [''];
      const upper = route.template.replace(/\{(\w+)\}/g, (_m, p: string) => world.validIds[paramKind(route.template, p)].toUpperCase());
      for (const path of route.pathParams.length ? [fillPath(route, world), upper] : [fillPath(route, world)]) {
        for (const q of queries) {
          out.push({ corruption: 'boundary', why: q ? `query ${q.slice(0, 40)}` : 'upper-case ids', route: route.key, method: 'GET', path: withQuery(path, q), principal: 'owner', headers: { authorization: headers.authorization } });
        }
      }
    }
  }
  return out;
}
