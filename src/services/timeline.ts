// A contact's story in one list, newest first: calls (with the text-back decision and voicemail),
// texts both ways, the decisions recorded for their calls, tasks made and done, pipeline moves,
// notes, opt-outs and opt-ins, and what follow-ups did. Each source is read up to one page past
// the cursor and the lists are merged, so a page costs the same however long the history is.
import { describeDecision, type Decision } from '../domain/text-back-decision.ts';
import { findContact } from '../store/contacts-repository.ts';
import { encodeCursor, type PageCursor } from '../store/paging.ts';
import type { Message } from '../store/schema.ts';
import {
  DONE_KEY_PREFIX,
  listTimelineCalls,
  listTimelineEvents,
  listTimelineMessages,
  listTimelineNotes,
  listTimelineTasksCreated,
  listTimelineTasksDone,
  type TimelineWindow,
} from '../store/timeline-repository.ts';
import { presentCall, type CallView } from './calls.ts';
import type { ServiceContext } from './context.ts';
import { notFound } from './errors.ts';

type CallItem = { type: 'call'; at: string; id: string; direction: 'inbound' | 'outbound' } & Omit<CallView, 'id' | 'direction'>;

export type TimelineItem =
  | CallItem
  | {
      type: 'message';
      at: string;
      id: string;
      conversationId: string;
      lineId: string;
      direction: Message['direction'];
      body: string;
      status: Message['status'];
      author: Message['author'];
      authorUserId: string | null;
      reason: string;
      error: { code: string | null; message: string | null } | null;
    }
  | { type: 'decision'; at: string; id: string; callId: string; action: Decision['action']; reason: string; explanation: string; messageId: string | null }
  | {
      type: 'task';
      at: string;
      id: string;
      change: 'created' | 'done';
      kind: string;
      title: string;
      dueAt: string | null;
      status: 'open' | 'done';
      assigneeUserId: string | null;
      completedBy: string | null;
    }
  | { type: 'stage_change'; at: string; id: string; leadId: string; from: string | null; to: string | null; valueCents: number | null; actor: string }
  | { type: 'note'; at: string; id: string; conversationId: string; body: string; authorUserId: string | null }
  | { type: 'opt_out'; at: string; id: string; words: string | null; rule: string | null; actor: string }
  | { type: 'opt_in'; at: string; id: string; actor: string }
  | { type: 'follow_up'; at: string; id: string; event: string; subjectType: string; subjectId: string; actor: string; detail: Record<string, unknown> };

/** An item and its place in the merged order: (at, key) descending. */
interface Keyed {
  key: string;
  item: TimelineItem;
}

function parseData(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export interface TimelinePage {
  items: TimelineItem[];
  next: string | null;
}

export async function getContactTimeline(
  ctx: ServiceContext,
  accountId: string,
  contactId: string,
  page: { before?: PageCursor; limit: number },
): Promise<TimelinePage> {
  const db = ctx.store.db;
  const contact = await findContact(db, accountId, contactId);
  if (!contact) throw notFound(`contact ${contactId}`);
  // One more than a page from each source: if the merge holds more than a page, there is a next.
  const w: TimelineWindow = { accountId, contactId, limit: page.limit + 1, ...(page.before ? { before: page.before } : {}) };
  const [calls, messages, notes, tasksCreated, tasksDone, events] = await Promise.all([
    listTimelineCalls(db, w),
    listTimelineMessages(db, w),
    listTimelineNotes(db, w),
    listTimelineTasksCreated(db, w),
    listTimelineTasksDone(db, w),
    listTimelineEvents(db, w),
  ]);
  const cooldownMs = ctx.config.cooldownHours * 3_600_000;
  const all: Keyed[] = [];

  for (const call of calls) {
    const { id, ...view } = presentCall(ctx, call);
    all.push({ key: call.id, item: { type: 'call', ...view, at: call.started_at, id, direction: call.direction } });
  }
  for (const m of messages) {
    all.push({
      key: m.id,
      item: {
        type: 'message',
        at: m.created_at,
        id: m.id,
        conversationId: m.conversation_id,
        lineId: m.line_id,
        direction: m.direction,
        body: m.body,
        status: m.status,
        author: m.author,
        authorUserId: m.author_user_id,
        reason: m.reason,
        error: m.carrier_error_code || m.error_message ? { code: m.carrier_error_code, message: m.error_message } : null,
      },
    });
  }
  for (const n of notes) {
    all.push({ key: n.id, item: { type: 'note', at: n.created_at, id: n.id, conversationId: n.conversation_id, body: n.body, authorUserId: n.author_user_id } });
  }
  const taskItem = (t: (typeof tasksCreated)[number], change: 'created' | 'done', at: string): TimelineItem => ({
    type: 'task',
    at,
    id: t.id,
    change,
    kind: t.kind,
    title: t.title,
    dueAt: t.due_at,
    status: t.status,
    assigneeUserId: t.assignee_user_id,
    completedBy: t.completed_by,
  });
  for (const t of tasksCreated) all.push({ key: t.id, item: taskItem(t, 'created', t.created_at) });
  for (const t of tasksDone) all.push({ key: `${DONE_KEY_PREFIX}${t.id}`, item: taskItem(t, 'done', t.completed_at!) });
  for (const e of events) {
    const data = parseData(e.data);
    const base = { at: e.created_at, id: e.id };
    let item: TimelineItem;
    if (e.type === 'text_back.queued' || e.type === 'text_back.skipped') {
      const action = e.type === 'text_back.queued' ? 'send' : 'skip';
      const reason = str(data.reason) ?? (action === 'send' ? 'missed_call' : 'unknown');
      item = {
        type: 'decision',
        ...base,
        callId: e.subject_id,
        action,
        reason,
        explanation: describeDecision({ action, reason } as Decision, { cooldownMs }),
        messageId: str(data.messageId),
      };
    } else if (e.type === 'lead.stage_changed') {
      item = {
        type: 'stage_change',
        ...base,
        leadId: e.subject_id,
        from: str(data.from),
        to: str(data.to),
        valueCents: typeof data.valueCents === 'number' ? data.valueCents : null,
        actor: e.actor,
      };
    } else if (e.type === 'contact.opted_out') {
      item = { type: 'opt_out', ...base, words: str(data.words), rule: str(data.rule), actor: e.actor };
    } else if (e.type === 'contact.opted_in') {
      item = { type: 'opt_in', ...base, actor: e.actor };
    } else {
      item = { type: 'follow_up', ...base, event: e.type, subjectType: e.subject_type, subjectId: e.subject_id, actor: e.actor, detail: data };
    }
    all.push({ key: e.id, item });
  }

  // Plain string order, the same as each source's SQL order (ISO times; ids compared bytewise).
  all.sort((a, b) => (a.item.at === b.item.at ? (a.key < b.key ? 1 : a.key > b.key ? -1 : 0) : a.item.at < b.item.at ? 1 : -1));
  const shown = all.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    items: shown.map((k) => k.item),
    next: all.length > page.limit && last ? encodeCursor({ at: last.item.at, id: last.key }) : null,
  };
}
