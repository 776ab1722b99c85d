// Settings → Saved replies: the texts the team inserts from the composer's "Saved replies" menu.
// List, add, edit, delete (after a confirmation), each with the live preview the text-back
// templates use. Agents see them read-only (the server refuses their changes too).
import { useState, type FormEvent } from 'react';
import { api, patch, post } from '../../api.ts';
import { formatWhen } from '../../format.ts';
import { useAction, useResource } from '../../hooks.ts';
import { measureLine } from '../../sms.ts';
import { ErrorAlert, Field, fieldText, FormActions, sentence } from '../../ui/Field.tsx';
import { SettingsCard, useCanEdit } from './common.tsx';
import { MessageEditor, usePreview } from './Templates.tsx';

interface SavedReply {
  id: string;
  title: string;
  body: string;
  variables: string[];
  characters: number;
  encoding: string;
  segments: number;
  updatedAt: string;
}

const MAX_TITLE = 60;

function ReplyForm({
  id,
  name,
  initial,
  submitLabel,
  onSave,
  onCancel,
}: {
  id: string;
  /** Starts each control's label: "New reply: title". */
  name: string;
  initial: { title: string; body: string };
  submitLabel: string;
  onSave: (input: { title: string; body: string }) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(initial.title);
  const [body, setBody] = useState(initial.body);
  const preview = usePreview(body, { purpose: 'reply' });
  const problems = body.trim() ? preview.errors : [];
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(async () => {
      await onSave({ title, body });
      return true;
    });
    if (ok && !onCancel) {
      // A new reply's form starts empty again for the next one.
      setTitle('');
      setBody('');
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-labelledby={`${id}-h`}>
      <ErrorAlert message={error} />
      <Field label={`${name}: title`} hint={`What the team picks it by in the composer (at most ${MAX_TITLE} characters).`} error={fieldText('Title', fields.title)}>
        {(p) => <input {...p} value={title} maxLength={MAX_TITLE} onChange={(e) => setTitle(e.target.value)} />}
      </Field>
      <MessageEditor
        label={`${name}: message`}
        value={body}
        onChange={setBody}
        preview={preview}
        error={fields.body ? sentence(`Message: ${fields.body}`) : undefined}
        previewTitle="Preview, for a contact named Sam"
        previewLabel={`${name}: preview`}
        showErrors={false}
        belowPreview={
          problems.length ? (
            <ul className="preview-errors" aria-label="Problems with this message">
              {problems.map((p) => (
                <li key={p}>{sentence(p)}</li>
              ))}
            </ul>
          ) : null
        }
      />
      <FormActions busy={busy} submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}

function ReplyRow({ reply, onChanged }: { reply: SavedReply; onChanged: (message: string) => void }) {
  const canEdit = useCanEdit();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const remove = async () => {
    const ok = await run(async () => {
      await api('DELETE', `/saved-replies/${reply.id}`);
      return true;
    });
    if (ok) onChanged(`Deleted “${reply.title}”.`);
  };
  if (editing) {
    return (
      <li className="saved-reply-row editing">
        <h3 id={`reply-${reply.id}-h`}>Edit “{reply.title}”</h3>
        <ReplyForm
          id={`reply-${reply.id}`}
          name={reply.title}
          initial={reply}
          submitLabel={`Save “${reply.title}”`}
          onCancel={() => setEditing(false)}
          onSave={async (input) => {
            await patch(`/saved-replies/${reply.id}`, input);
            setEditing(false);
            onChanged(`Saved “${input.title.trim()}”.`);
          }}
        />
      </li>
    );
  }
  return (
    <li className="saved-reply-row">
      <div className="saved-reply-text">
        <h3>{reply.title}</h3>
        <p className="saved-reply-body">{reply.body}</p>
        <p className="muted small">
          {measureLine(reply)} as written · changed {formatWhen(reply.updatedAt)}
        </p>
        <ErrorAlert message={error} />
      </div>
      {canEdit ? (
        confirming ? (
          <div className="actions">
            <span className="small">It leaves everyone's composer.</span>
            <button type="button" className="btn btn-danger btn-small" disabled={busy} onClick={() => void remove()}>
              Delete “{reply.title}” now
            </button>
            <button type="button" className="btn btn-quiet btn-small" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <div className="actions">
            <button type="button" className="btn btn-quiet btn-small" onClick={() => setEditing(true)} aria-label={`Edit “${reply.title}”`}>
              Edit
            </button>
            <button type="button" className="btn btn-quiet btn-small" onClick={() => setConfirming(true)} aria-label={`Delete “${reply.title}”`}>
              Delete
            </button>
          </div>
        )
      ) : null}
    </li>
  );
}

export function SavedReplySettings() {
  const canEdit = useCanEdit();
  const replies = useResource<{ savedReplies: SavedReply[] }>('/saved-replies');
  const [done, setDone] = useState('');
  const changed = (message: string) => {
    setDone(message);
    replies.reload();
  };
  const list = replies.data?.savedReplies ?? [];
  return (
    <div className="settings-stack">
      <p className="muted">
        Texts your team sends often. In a conversation, <strong>Saved replies</strong> next to Send puts one in the message box, filled in for that contact:{' '}
        <code>{'{{first_name}}'}</code>, <code>{'{{business_name}}'}</code>, <code>{'{{booking_link}}'}</code>, <code>{'{{line_number}}'}</code> and <code>{'{{callback_window}}'}</code>. It can still be
        changed before it is sent.
      </p>
      <SettingsCard id="saved-replies" title="Saved replies">
        {replies.error ? <ErrorAlert message={replies.error} /> : null}
        <p role="status" className="saved">
          {done}
        </p>
        {!replies.data && !replies.error ? (
          <p className="muted" role="status">
            Loading…
          </p>
        ) : null}
        {list.length ? (
          <ul className="plain-list saved-reply-list">
            {list.map((r) => (
              <ReplyRow key={`${r.id}-${r.updatedAt}`} reply={r} onChanged={changed} />
            ))}
          </ul>
        ) : replies.data ? (
          <p className="muted">No saved replies yet.{canEdit ? ' Add the first one below.' : ''}</p>
        ) : null}
      </SettingsCard>
      {canEdit ? (
        <SettingsCard id="new-saved-reply" title="Add a saved reply">
          <ReplyForm
            id="new-saved-reply"
            name="New reply"
            initial={{ title: '', body: '' }}
            submitLabel="Add saved reply"
            onSave={async (input) => {
              await post('/saved-replies', input);
              changed(`Added “${input.title.trim()}”.`);
            }}
          />
        </SettingsCard>
      ) : null}
    </div>
  );
}
