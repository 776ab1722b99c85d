// Who may change what, in one table. Every member may read everything; a change (any method but
// GET, HEAD, OPTIONS) to a route below needs the role written there. A change to a route the table
// does not list needs an owner or admin: new routes start closed to agents until listed here.
// API keys act with their user's role. docs/auth.md shows this table to people.
import { AppError } from '../services/errors.ts';
import type { Role } from '../services/sessions.ts';

/** agent: every member; self: agents only on their own entry (`:userId` is theirs); admin: owners and admins. */
export type Need = 'agent' | 'self' | 'admin';

export interface Rule {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as registered, under /api/v1. */
  url: string;
  need: Need;
  /** "agents cannot change <what>". */
  what: string;
}

export const WRITE_RULES: readonly Rule[] = [
  // The work: inbox, contacts, leads, tasks, notes, calls, the simulator.
  { method: 'POST', url: '/conversations/:id/messages', need: 'agent', what: 'conversations' },
  { method: 'POST', url: '/conversations/:id/assign', need: 'agent', what: 'conversations' },
  { method: 'POST', url: '/conversations/:id/snooze', need: 'agent', what: 'conversations' },
  { method: 'POST', url: '/conversations/:id/resolve', need: 'agent', what: 'conversations' },
  { method: 'POST', url: '/conversations/:id/reopen', need: 'agent', what: 'conversations' },
  { method: 'POST', url: '/conversations/:id/read', need: 'agent', what: 'conversations' },
  { method: 'PATCH', url: '/conversations/:id', need: 'agent', what: 'conversations' },
  { method: 'POST', url: '/conversations/:id/notes', need: 'agent', what: 'notes' },
  { method: 'PATCH', url: '/contacts/:id', need: 'agent', what: 'contacts' },
  { method: 'PATCH', url: '/leads/:id', need: 'agent', what: 'leads' },
  { method: 'POST', url: '/tasks', need: 'agent', what: 'tasks' },
  { method: 'PATCH', url: '/tasks/:id', need: 'agent', what: 'tasks' },
  { method: 'POST', url: '/tasks/:id/done', need: 'agent', what: 'tasks' },
  { method: 'POST', url: '/tasks/:id/reopen', need: 'agent', what: 'tasks' },
  { method: 'POST', url: '/sequence-runs/:id/stop', need: 'agent', what: 'follow-ups' },
  { method: 'POST', url: '/calls', need: 'agent', what: 'calls' },
  { method: 'POST', url: '/simulator/calls', need: 'agent', what: 'the simulator' },
  { method: 'POST', url: '/simulator/calls/outbound', need: 'agent', what: 'the simulator' },
  { method: 'POST', url: '/simulator/messages', need: 'agent', what: 'the simulator' },
  // Read-only calculations that happen to take a body.
  { method: 'POST', url: '/messages/measure', need: 'agent', what: 'messages' },
  { method: 'POST', url: '/templates/preview', need: 'agent', what: 'templates' },
  { method: 'POST', url: '/conversations/:id/saved-replies/:replyId/render', need: 'agent', what: 'saved replies' },
  // Their own team entry: name, phone, alert preferences (the team service keeps roles to admins).
  { method: 'PATCH', url: '/team/:userId', need: 'self', what: 'other team members' },

  // Setting up the business: owners and admins.
  { method: 'PATCH', url: '/account', need: 'admin', what: 'account settings' },
  { method: 'PUT', url: '/templates/text-back/:slot', need: 'admin', what: 'templates' },
  { method: 'DELETE', url: '/templates/text-back/:slot', need: 'admin', what: 'templates' },
  { method: 'POST', url: '/saved-replies', need: 'admin', what: 'saved replies' },
  { method: 'PATCH', url: '/saved-replies/:id', need: 'admin', what: 'saved replies' },
  { method: 'DELETE', url: '/saved-replies/:id', need: 'admin', what: 'saved replies' },
  { method: 'POST', url: '/lines', need: 'admin', what: 'lines' },
  { method: 'PATCH', url: '/lines/:id', need: 'admin', what: 'lines' },
  { method: 'DELETE', url: '/lines/:id', need: 'admin', what: 'lines' },
  { method: 'POST', url: '/lines/:id/configure-carrier', need: 'admin', what: 'lines' },
  { method: 'POST', url: '/carriers', need: 'admin', what: 'carriers' },
  { method: 'POST', url: '/carriers/:id/check', need: 'admin', what: 'carriers' },
  { method: 'DELETE', url: '/carriers/:id', need: 'admin', what: 'carriers' },
  { method: 'POST', url: '/alerts/:id/resolve', need: 'admin', what: 'carrier alerts' },
  { method: 'POST', url: '/sequences', need: 'admin', what: 'sequences' },
  { method: 'PUT', url: '/sequences/:id', need: 'admin', what: 'sequences' },
  { method: 'PATCH', url: '/sequences/:id', need: 'admin', what: 'sequences' },
  { method: 'DELETE', url: '/sequences/:id', need: 'admin', what: 'sequences' },
  { method: 'POST', url: '/webhook-endpoints', need: 'admin', what: 'webhook endpoints' },
  { method: 'PATCH', url: '/webhook-endpoints/:id', need: 'admin', what: 'webhook endpoints' },
  { method: 'DELETE', url: '/webhook-endpoints/:id', need: 'admin', what: 'webhook endpoints' },
  { method: 'POST', url: '/webhook-endpoints/:id/rotate-secret', need: 'admin', what: 'webhook endpoints' },
  { method: 'POST', url: '/webhook-endpoints/:id/test', need: 'admin', what: 'webhook endpoints' },
  { method: 'POST', url: '/webhook-endpoints/:id/deliveries/:deliveryId/redeliver', need: 'admin', what: 'webhook endpoints' },
  { method: 'POST', url: '/api-keys', need: 'admin', what: 'API keys' },
  { method: 'DELETE', url: '/api-keys/:id', need: 'admin', what: 'API keys' },
  { method: 'POST', url: '/team', need: 'admin', what: 'the team' },
  { method: 'DELETE', url: '/team/:userId', need: 'admin', what: 'the team' },
];

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const byRoute = new Map(WRITE_RULES.map((r) => [`${r.method} ${r.url}`, r]));

/** The rule for a request, or null when every member may (reads). */
export function ruleFor(method: string, url: string): Rule | null {
  if (READS.has(method)) return null;
  return (
    byRoute.get(`${method} ${url}`) ?? {
      method: method as Rule['method'],
      url,
      need: 'admin',
      what: url.split('/')[1]?.replace(/-/g, ' ') || 'this',
    }
  );
}

/** Whether `role` may send this change; `self`: the route's :userId is the caller. */
export function allows(rule: Rule | null, role: Role, self: boolean): boolean {
  if (!rule || rule.need === 'agent' || role === 'owner' || role === 'admin') return true;
  return rule.need === 'self' && self;
}

export function forbiddenFor(rule: Rule): AppError {
  return new AppError('forbidden', `agents cannot change ${rule.what}; ask an owner or admin`);
}
