// Settings → Text-back templates: the four slots, each with a live preview from the server.
import { useEffect, useState, type FormEvent } from 'react';
import { api, put, type Template } from '../../api.ts';
import { useAction } from '../../hooks.ts';
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
export function usePreview(body: string, slot?: string, local?: (body: string) => Preview): Preview {
  const render = (b: string): Preview => (local ? local(b) : { text: b, ...measure(b), errors: [] });
  const [preview, setPreview] = useState<Preview>(() => render(body));
  useEffect(() => {
    setPreview(render(body));
    if (!body.trim()) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      api<Partial<Preview> & { errors?: unknown }>('POST', '/templates/preview', slot ? { body, slot } : { body }, { signal: ctrl.signal })
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
  }, [body, slot, local]);
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

function SlotEditor({ slot, label, template, onSaved }: { slot: string; label: string; template: Template | undefined; onSaved: () => void }) {
  const canEdit = useCanEdit();
  const [body, setBody] = useState(template?.body ?? '');
  const [saved, setSaved] = useState(false);
  const preview = usePreview(body, slot);
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
          <div className="grid-2 align-start">
            <Field label={`${label}: message`} error={fieldText('Message', fields.body)}>
              {(p) => <textarea {...p} rows={5} value={body} onChange={(e) => { setBody(e.target.value); setSaved(false); }} />}
            </Field>
            <div className="preview-wrap">
              <p className="preview-title" aria-hidden="true">
                What the caller sees
              </p>
              <PreviewBox preview={preview} label={`${label}: preview`} />
            </div>
          </div>
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
    </div>
  );
}
