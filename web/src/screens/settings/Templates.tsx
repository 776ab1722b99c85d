// Settings → Text-back templates: the four slots, each with a live preview from the server, and a
// line's own message for any slot (the others keep the account's).
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, put, type Template } from '../../api.ts';
import { useAction, useResource } from '../../hooks.ts';
import { formatPhone } from '../../format.ts';
import { measure, measureLine } from '../../sms.ts';
import { ErrorAlert, Field, fieldText } from '../../ui/Field.tsx';
import { SaveBar, SettingsCard, useCanEdit } from './common.tsx';

export const SLOTS: Array<[string, string, string]> = [
  ['open', 'During business hours', 'business-hours'],
  ['after_hours', 'After hours', 'after-hours'],
  ['weekend', 'At the weekend', 'weekend'],
  ['holiday', 'On holidays', 'holiday'],
];

export interface Preview {
  text: string;
  characters: number;
  encoding: string;
  segments: number;
  errors: string[];
}

function normaliseErrors(raw: unknown): string[] {
  if (!raw) return [];
  if (Array.isArray(raw)) return raw.map((e) => (typeof e === 'string' ? e : ((e as { message?: string }).message ?? JSON.stringify(e))));
  return [];
}

/**
 * The preview of `body`: at once from a local rendering (`local`, default the body measured as it
 * is), then the server's own rendering with the account's real values.
 */
export interface PreviewOptions {
  /** Which time of day's message (the server picks the current one when left out). */
  slot?: string;
  /** The rendering shown before the server answers (default: the body measured as it is). */
  local?: (body: string) => Preview;
  /** Whose number {{line_number}} shows. */
  lineId?: string;
  /** 'reply' for saved replies and follow-up steps: no business name or STOP required. */
  purpose?: 'text_back' | 'reply';
}

export function usePreview(body: string, { slot, local, lineId, purpose }: PreviewOptions = {}): Preview {
  const render = (b: string): Preview => (local ? local(b) : { text: b, ...measure(b), errors: [] });
  const [preview, setPreview] = useState<Preview>(() => render(body));
  useEffect(() => {
    setPreview(render(body));
    if (!body.trim()) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      api<Partial<Preview> & { errors?: unknown }>('POST', '/templates/preview', { body, ...(slot ? { slot } : {}), ...(lineId ? { lineId } : {}), ...(purpose ? { purpose } : {}) }, { signal: ctrl.signal })
        .then((p) => {
          if (typeof p.text !== 'string') return;
          setPreview({ text: p.text, characters: p.characters ?? 0, encoding: p.encoding ?? 'GSM-7', segments: p.segments ?? 1, errors: normaliseErrors(p.errors) });
        })
        .catch(() => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
    // `render` follows `local`, which callers keep stable (useCallback).
  }, [body, slot, local, lineId, purpose]);
  return preview;
}

export function PreviewBox({ preview, label, showErrors = true }: { preview: Preview; label: string; showErrors?: boolean }) {
  const ucs2 = preview.encoding === 'UCS-2';
  return (
    <div className="preview" aria-label={label} role="group">
      <p className="bubble bubble-in">{preview.text || <span className="muted">(empty)</span>}</p>
      <p className={`count-line ${ucs2 ? 'warn' : ''}`}>
        {measureLine(preview)}
        {ucs2 ? '. A special character (like an emoji or a curly quote) makes it UCS-2: 70 characters per segment instead of 160.' : ''}
      </p>
      {showErrors && preview.errors.length ? (
        <ul className="preview-errors">
          {preview.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A message box beside its live preview: every editor of a text (templates, replies, steps). */
export function MessageEditor({
  label,
  value,
  onChange,
  preview,
  error,
  rows = 5,
  previewTitle = 'What the caller sees',
  previewLabel = `${label.replace(/: message$/, '')}: preview`,
  showErrors = true,
  belowPreview,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  preview: Preview;
  error?: string | undefined;
  rows?: number;
  previewTitle?: string;
  previewLabel?: string;
  showErrors?: boolean;
  belowPreview?: ReactNode;
}) {
  return (
    <div className="grid-2 align-start">
      <Field label={label} error={error}>
        {(p) => <textarea {...p} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} />}
      </Field>
      <div className="preview-wrap">
        <p className="preview-title" aria-hidden="true">
          {previewTitle}
        </p>
        <PreviewBox preview={preview} label={previewLabel} showErrors={showErrors} />
        {belowPreview}
      </div>
    </div>
  );
}

function SlotEditor({ slot, label, template, onSaved }: { slot: string; label: string; template: Template | undefined; onSaved: () => void }) {
  const canEdit = useCanEdit();
  const [body, setBody] = useState(template?.body ?? '');
  const [saved, setSaved] = useState(false);
  const preview = usePreview(body, { slot });
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(() => put(`/templates/text-back/${slot}`, { body }));
    if (ok !== undefined) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <SettingsCard id={`tpl-${slot}`} title={label}>
      <form onSubmit={submit} noValidate>
        <fieldset className="plain-fieldset" disabled={!canEdit}>
          <legend className="sr-only">{label}</legend>
          <ErrorAlert message={error} />
          <MessageEditor label={`${label}: message`} value={body} onChange={(b) => { setBody(b); setSaved(false); }} preview={preview} error={fieldText('Message', fields.body)} />
          {canEdit ? <SaveBar busy={busy} saved={saved} label={`Save ${label.toLowerCase()}`} savedText="Saved. The next missed call in this slot gets this text." /> : null}
        </fieldset>
      </form>
    </SettingsCard>
  );
}

export function TemplateSettings({ templates, onSaved }: { templates: Template[]; onSaved: () => void }) {
  const account = templates.filter((t) => t.scope === 'account');
  return (
    <div className="settings-stack">
      <p className="muted">
        What a caller gets when you miss them, by when they call. <code>{'{{business_name}}'}</code>, <code>{'{{first_name}}'}</code>, <code>{'{{callback_window}}'}</code> and{' '}
        <code>{'{{booking_link}}'}</code> are filled in for each caller. Keep “Reply STOP to opt out.”
      </p>
      {SLOTS.map(([slot, label]) => (
        <SlotEditor key={slot} slot={slot} label={label} template={account.find((t) => t.slot === slot)} onSaved={onSaved} />
      ))}
      <LineTemplates templates={templates} onSaved={onSaved} />
    </div>
  );
}

// ---------- A line's own messages ----------

interface LineSummary {
  id: string;
  number: string;
  name: string;
}

function lineName(line: LineSummary): string {
  return line.name && line.name !== line.number ? `${formatPhone(line.number)} (${line.name})` : formatPhone(line.number);
}

function LineSlot({ line, slot, label, account, override, onSaved }: { line: LineSummary; slot: string; label: string; account: Template | undefined; override: Template | undefined; onSaved: () => void }) {
  const canEdit = useCanEdit();
  const [writing, setWriting] = useState(false);
  const [body, setBody] = useState(override?.body ?? account?.body ?? '');
  const [status, setStatus] = useState<string | null>(null);
  const preview = usePreview(body, { slot, lineId: line.id });
  const save = useAction();
  const remove = useAction();
  const editing = !!override || writing;
  const what = `${label} on ${formatPhone(line.number)}`;
  const lower = label.toLowerCase();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setStatus(null);
    const ok = await save.run(() => put(`/templates/text-back/${slot}`, { body, lineId: line.id }));
    if (ok !== undefined) {
      setStatus(`Saved. A missed call on ${formatPhone(line.number)} ${lower} gets this text.`);
      onSaved();
    }
  };
  const useAccount = async () => {
    setStatus(null);
    const ok = await remove.run(async () => {
      await api('DELETE', `/templates/text-back/${slot}?lineId=${encodeURIComponent(line.id)}`);
      return true;
    });
    if (ok) {
      setWriting(false);
      setBody(account?.body ?? '');
      setStatus(`${formatPhone(line.number)} uses the account's ${lower} message again.`);
      onSaved();
    }
  };

  return (
    <section className="line-slot" aria-label={what}>
      <div className="line-slot-head">
        <h3 className="small-h">{label} on this line</h3>
        {override ? <span className="badge badge-on">Own message</span> : <span className="badge">Account's message</span>}
      </div>
      {editing ? (
        <form onSubmit={submit} noValidate>
          <fieldset className="plain-fieldset" disabled={!canEdit}>
            <legend className="sr-only">{what}</legend>
            <ErrorAlert message={save.error} />
            <MessageEditor label={`${what}: message`} rows={4} value={body} onChange={(b) => { setBody(b); setStatus(null); }} preview={preview} error={fieldText('Message', save.fields.body)} />
            {canEdit ? (
              <div className="actions">
                <button type="submit" className="btn btn-primary" disabled={save.busy}>
                  {save.busy ? 'Saving…' : `Save ${lower} for this line`}
                </button>
                {override ? (
                  <button type="button" className="btn btn-quiet" disabled={remove.busy} onClick={() => void useAccount()}>
                    Use the account's message again <span className="sr-only">({label})</span>
                  </button>
                ) : (
                  <button type="button" className="btn btn-quiet" onClick={() => { setWriting(false); setBody(account?.body ?? ''); save.setError(null); }}>
                    Cancel <span className="sr-only">({label})</span>
                  </button>
                )}
              </div>
            ) : null}
          </fieldset>
        </form>
      ) : (
        <>
          <p className="muted small">A missed call on this line {lower} gets the account's message (above).</p>
          {canEdit ? (
            <button type="button" className="btn btn-quiet btn-small" onClick={() => { setStatus(null); setWriting(true); }}>
              Write a message for this line <span className="sr-only">({label})</span>
            </button>
          ) : null}
        </>
      )}
      <ErrorAlert message={remove.error} />
      <p role="status" className="saved">
        {status ?? ''}
      </p>
    </section>
  );
}

function LineTemplates({ templates, onSaved }: { templates: Template[]; onSaved: () => void }) {
  const lines = useResource<{ lines: LineSummary[] }>('/lines');
  const list = lines.data?.lines ?? [];
  const [chosen, setChosen] = useState<string | null>(null);
  const line = list.find((l) => l.id === chosen) ?? list[0];
  const account = templates.filter((t) => t.scope === 'account');
  const overridden = (id: string) => templates.filter((t) => t.scope === id).length;
  return (
    <SettingsCard id="line-templates" title="A line's own messages" intro={
        <>
          A line can have its own message for any of the four times, e.g. a second business on its own number. The times it has none use the account's message above.{' '}
          <code>{'{{line_number}}'}</code> is the line's own number.
        </>
      }>
      {lines.error ? <ErrorAlert message={lines.error} /> : null}
      {lines.data && list.length === 0 ? <p className="muted">No lines yet.</p> : null}
      {line ? (
        <>
          <Field label="Line">
            {(p) => (
              <select {...p} value={line.id} onChange={(e) => setChosen(e.target.value)}>
                {list.map((l) => {
                  const n = overridden(l.id);
                  return (
                    <option key={l.id} value={l.id}>
                      {lineName(l)}
                      {n ? ` · ${n} own message${n === 1 ? '' : 's'}` : ''}
                    </option>
                  );
                })}
              </select>
            )}
          </Field>
          <div className="line-slots" key={line.id}>
            {SLOTS.map(([slot, label]) => {
              const override = templates.find((t) => t.scope === line.id && t.slot === slot);
              return <LineSlot key={slot} line={line} slot={slot} label={label} account={account.find((t) => t.slot === slot)} override={override} onSaved={onSaved} />;
            })}
          </div>
        </>
      ) : null}
    </SettingsCard>
  );
}
