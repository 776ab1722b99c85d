// Tasks: callbacks and other to-dos, overdue first, one tap to call, one tap to mark done.
import { useState } from 'react';
import { post, type Contact, type Member, type Task } from '../api.ts';
import { contactName, formatFull, formatPhone, relative } from '../format.ts';
import { useAction, useResource } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorAlert, Field } from '../ui/Field.tsx';

export function Tasks() {
  const { session } = useSession();
  const [show, setShow] = useState<'open' | 'mine' | 'done'>('open');
  const path = show === 'done' ? '/tasks?status=done&limit=100' : `/tasks?status=open&limit=200${show === 'mine' ? '&assignee=me' : ''}`;
  const tasks = useResource<{ tasks: Task[] }>(path, (e) => e.type === 'task.updated' || e.type === 'call.decided');
  const contacts = useResource<{ contacts: Contact[] }>('/contacts?limit=200', (e) => e.type === 'contact.updated' || e.type === 'call.decided');
  const team = useResource<{ members: Member[] }>('/team');
  const action = useAction();
  const contactOf = (id: string | null) => (id ? contacts.data?.contacts.find((c) => c.id === id) ?? null : null);
  const who = (id: string | null) => {
    if (!id) return 'Unassigned';
    if (id === session.user.id) return 'You';
    const m = team.data?.members.find((x) => x.userId === id);
    return m ? m.name || m.email : 'Someone';
  };

  const list = [...(tasks.data?.tasks ?? [])].sort((a, b) => (show === 'done' ? (b.completedAt ?? '').localeCompare(a.completedAt ?? '') : (a.dueAt ?? '9').localeCompare(b.dueAt ?? '9')));
  const endOfToday = new Date();
  endOfToday.setHours(23, 59, 59, 999);
  const groups: Array<[string, Task[]]> =
    show === 'done'
      ? [['Done', list]]
      : [
          ['Overdue', list.filter((t) => t.overdue)],
          ['Due today', list.filter((t) => !t.overdue && t.dueAt && new Date(t.dueAt) <= endOfToday)],
          ['Later', list.filter((t) => !t.overdue && (!t.dueAt || new Date(t.dueAt) > endOfToday))],
        ];

  const act = async (fn: () => Promise<unknown>) => {
    await action.run(fn);
    tasks.reload();
  };

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Tasks</h1>
        <p className="lead-text">Call back every missed caller before the competition does.</p>
      </div>
      <div className="toolbar">
        <Field label="Show">
          {(p) => (
            <select {...p} value={show} onChange={(e) => setShow(e.target.value as typeof show)}>
              <option value="open">Open tasks</option>
              <option value="mine">Assigned to me</option>
              <option value="done">Done</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorAlert message={tasks.error ?? action.error} />
      {tasks.data && list.length === 0 ? (
        <div className="card empty">
          <p>
            <strong>{show === 'done' ? 'Nothing done yet.' : 'Nothing to do. '}</strong>
          </p>
          {show !== 'done' ? <p className="muted">A missed call from a new caller creates a “call back” task here, due within two hours in open hours.</p> : null}
        </div>
      ) : null}
      {groups
        .filter(([, g]) => g.length > 0)
        .map(([title, g]) => (
          <section key={title} className="task-group" aria-labelledby={`tg-${title}`}>
            <h2 id={`tg-${title}`} className={title === 'Overdue' ? 'overdue-h' : ''}>
              {title} <span className="count">{g.length}</span>
            </h2>
            <ul className="task-list" role="list">
              {g.map((t) => {
                const ct = contactOf(t.contactId);
                return (
                  <li key={t.id} className={`card task ${t.overdue ? 'task-overdue' : ''}`}>
                    <div className="task-main">
                      <p className="task-title">{t.title}</p>
                      <p className="muted small">
                        {t.status === 'done'
                          ? `Done ${t.completedAt ? formatFull(t.completedAt) : ''}`
                          : t.dueAt
                            ? `${t.overdue ? 'Was due' : 'Due'} ${formatFull(t.dueAt)} (${relative(t.dueAt)})`
                            : 'No due time'}{' '}
                        · {who(t.assigneeUserId)}
                        {ct?.name ? ` · ${ct.name}` : ''}
                      </p>
                    </div>
                    <div className="task-actions">
                      {ct && t.status === 'open' ? (
                        <a className="btn btn-call btn-small" href={`tel:${ct.number}`} aria-label={`Call ${contactName(ct)}`}>
                          Call {formatPhone(ct.number)}
                        </a>
                      ) : null}
                      {t.conversationId ? (
                        <Link className="btn btn-quiet btn-small" to={`/inbox/${t.conversationId}`}>
                          Conversation
                        </Link>
                      ) : null}
                      {t.status === 'open' ? (
                        <button type="button" className="btn btn-primary btn-small" onClick={() => void act(() => post(`/tasks/${t.id}/done`))} aria-label={`Mark “${t.title}” done`}>
                          Done
                        </button>
                      ) : (
                        <button type="button" className="btn btn-quiet btn-small" onClick={() => void act(() => post(`/tasks/${t.id}/reopen`))} aria-label={`Reopen “${t.title}”`}>
                          Reopen
                        </button>
                      )}
                    </div>
                  </li>
                );
              })}
            </ul>
          </section>
        ))}
    </main>
  );
}
