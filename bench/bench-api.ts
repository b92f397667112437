import { Pool } from 'undici';

export interface ApiResult<T> {
  status: number;
  body: T;
}

/**
 * The platform's REST API as a customer's client calls it, over one keep-alive undici Pool.
 * `expect` makes any other status an error naming the route and the answer.
 */
export class BenchApi {
  private readonly pool: Pool;

  constructor(
    baseUrl: string,
    connections = 64,
    private readonly token?: string,
    pool?: Pool,
  ) {
    this.pool = pool ?? new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  as(token: string): BenchApi {
    return new BenchApi('', 0, token, this.pool);
  }

  async call<T = any>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<ApiResult<T>> {
    const res = await this.pool.request({
      method,
      path,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, body: parsed as T };
  }

  async expect<T = any>(status: number, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
