// A signed-in browser for API tests: keeps the rb_session cookie and sends back the CSRF token it
// was given, as the web app does.
export interface SessionResponse {
  status: number;
  body: any;
  headers: Headers;
}

export class SessionClient {
  cookie: string | null = null;
  csrf: string | null = null;
  /** The signed-in user's id, from the last sign-in answer. */
  userId = '';
  readonly #url: string;
  constructor(url: string) {
    this.#url = url;
  }

  async call(method: string, p: string, body?: unknown, opts: { csrf?: string | null } = {}): Promise<SessionResponse> {
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    const res = await fetch(this.#url + p, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(csrf && method !== 'GET' ? { 'x-csrf-token': csrf } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('rb_session='));
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'rb_session=' ? null : value;
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (parsed && typeof parsed.csrfToken === 'string') this.csrf = parsed.csrfToken;
    if (parsed && typeof parsed.user?.id === 'string') this.userId = parsed.user.id;
    return { status: res.status, body: parsed, headers: res.headers };
  }

  login(email: string, password: string): Promise<SessionResponse> {
    return this.call('POST', '/api/v1/auth/login', { email, password });
  }
}
