// The API client: same-origin fetch with the session cookie, JSON both ways, the CSRF token on
// every request that changes something, and errors that carry the API's message and field errors.
// Live updates come from one EventSource on /api/v1/events shared by every screen.

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** An error answer from the API: `message` is the API's own words; `fields` maps field → problem. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;
  constructor(status: number, code: string, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

let onUnauthorized: (() => void) | null = null;
/** Called when a request answers 401 (the session ended elsewhere). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

function normaliseFields(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object') return out;
  // The API sends [{field, message}]; nested fields read "steps[2].minutes".
  if (Array.isArray(raw)) {
    for (const item of raw as Array<{ field?: unknown; message?: unknown }>) {
      if (!item || typeof item.field !== 'string') continue;
      const message = String(item.message ?? 'is not valid');
      out[item.field] = out[item.field] ? `${out[item.field]}; ${message}` : message;
    }
    return out;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map(String).join('; ');
    else if (value && typeof value === 'object' && 'message' in value) out[key] = String((value as { message: unknown }).message);
  }
  return out;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'include',
      body: body === undefined ? null : JSON.stringify(body),
      signal: init.signal ?? null,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Ringback could not be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string; fields?: unknown } } | null)?.error;
    if (res.status === 401 && !init.quiet401) onUnauthorized?.();
    throw new ApiError(
      res.status,
      error?.code ?? 'http_' + res.status,
      error?.message ?? `The server answered ${res.status} ${res.statusText}.`,
      normaliseFields(error?.fields),
    );
  }
  return data as T;
}

export const get = <T,>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal ? { signal } : {});
export const post = <T,>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T,>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T,>(path: string, body: unknown) => api<T>('PUT', path, body);

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------- Types (the parts of the API's answers the app uses) ----------

export type Role = 'owner' | 'admin' | 'agent';
export interface Session {
  user: { id: string; email: string; name: string | null };
  account: { id: string; name: string };
  role: Role;
  csrfToken: string;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export interface Account {
  id: string;
  name: string;
  timeZone: string;
  businessHours: Record<Weekday, Array<[string, string]>>;
  averageJobValueCents: number;
}

export interface Template {
  purpose: string;
  slot: string;
  scope: string;
  body: string;
  encoding: string;
  segments: number;
  characters: number;
  updatedAt: string;
}

export interface Line {
  id: string;
  number: string;
  name: string | null;
  carrierKind: string;
  messagingEnabled: boolean;
}

export interface Carrier {
  id: string;
  kind: 'simulator' | 'twilio' | 'telnyx';
  name: string;
  createdAt: string;
}

export interface CarrierCheck {
  ok: boolean;
  problems: string[];
  lines: Array<{ number: string; ok: boolean; problems: string[] }>;
}

export interface Member {
  userId: string;
  name: string | null;
  email: string;
  role: Role;
  createdAt: string;
}

export type ConversationStatus = 'open' | 'pending' | 'snoozed' | 'resolved';
export interface ContactSummary {
  id: string;
  number: string;
  name: string | null;
  isCustomer: boolean;
  blocked: boolean;
  optedOut: boolean;
}
export interface Conversation {
  id: string;
  line: { id: string; number: string; name: string | null };
  contact: ContactSummary;
  status: ConversationStatus;
  unreadCount: number;
  assigneeUserId: string | null;
  snoozedUntil: string | null;
  needsAttention: boolean;
  attentionReason: string | null;
  automationPaused: boolean;
  lastMessage: { direction: 'inbound' | 'outbound'; preview: string; status: string; at: string } | null;
  lastMessageAt: string | null;
  createdAt: string;
}

export interface Message {
  id: string;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  body: string;
  encoding: string;
  segments: number;
  status: string;
  author: string;
  reason: string;
  error: { code: string | null; message: string | null } | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
}

export interface Note {
  id: string;
  body: string;
  authorUserId?: string | null;
  createdAt: string;
}

export interface Contact extends ContactSummary {
  email?: string | null;
  tags?: string[];
  optOut?: { since: string; source?: string; words?: string | null } | null;
  lead?: { id: string; stage: string; valueCents: number | null } | null;
}

export interface TimelineItem {
  type: string;
  at?: string;
  id?: string;
  [key: string]: unknown;
}

export interface Call {
  id: string;
  lineId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  status: string;
  outcome: string | null;
  startedAt: string;
  endedAt: string | null;
  decision: { action: string; reason: string; explanation: string; decidedAt: string; messageId: string | null } | null;
  voicemail: { url: string; transcript: string | null } | null;
}

export interface Task {
  id: string;
  kind: string;
  title: string;
  status: 'open' | 'done';
  dueAt: string | null;
  overdue: boolean;
  assigneeUserId: string | null;
  contactId: string | null;
  conversationId: string | null;
  completedAt: string | null;
}

export interface Measure {
  characters: number;
  encoding: string;
  segments: number;
  nonGsmCharacters?: string[];
}

// ---------- Live events ----------

export interface LiveEvent {
  type: string;
  id: string;
  at: string;
  data: Record<string, unknown>;
}
type Listener = (event: LiveEvent | null) => void;

const listeners = new Set<Listener>();
let source: EventSource | null = null;
let wanted = false;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
/** False only while the stream is down after it failed (not while it first connects). */
let healthy = true;
const connectionListeners = new Set<(connected: boolean) => void>();

const EVENT_TYPES = ['message.received', 'message.status', 'call.decided', 'conversation.updated', 'task.updated', 'lead.stage_changed', 'contact.updated'];

function setHealthy(value: boolean): void {
  if (healthy === value) return;
  healthy = value;
  for (const l of connectionListeners) l(value);
}

function open(): void {
  if (!wanted || source) return;
  const es = new EventSource('/api/v1/events', { withCredentials: true });
  source = es;
  es.onopen = () => {
    setHealthy(true);
    for (const l of listeners) l(null);
  };
  es.onerror = () => {
    setHealthy(false);
    // EventSource retries by itself after a dropped stream; after a refused one (401, 5xx) it
    // gives up (CLOSED). Then: signed out → back to sign-in; otherwise try again shortly.
    if (es.readyState !== EventSource.CLOSED) return;
    source = null;
    api('GET', '/auth/me').then(
      () => {
        if (retryTimer) clearTimeout(retryTimer);
        retryTimer = setTimeout(open, 3000);
      },
      () => undefined,
    );
  };
  const dispatch = (e: MessageEvent) => {
    let event: LiveEvent;
    try {
      event = JSON.parse(e.data as string) as LiveEvent;
    } catch {
      return;
    }
    for (const l of listeners) l(event);
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, dispatch as EventListener);
  es.onmessage = dispatch;
}

/** Opens the shared event stream (after sign-in). Each (re)connect tells listeners `null`: refetch. */
export function startLiveEvents(): void {
  if (typeof EventSource === 'undefined') return;
  wanted = true;
  open();
}

export function stopLiveEvents(): void {
  wanted = false;
  if (retryTimer) clearTimeout(retryTimer);
  source?.close();
  source = null;
  setHealthy(true);
}

/** `listener(null)` means "the stream (re)connected: refetch what you show". */
export function onLiveEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onConnectionChange(listener: (connected: boolean) => void): () => void {
  connectionListeners.add(listener);
  listener(healthy);
  return () => connectionListeners.delete(listener);
}
