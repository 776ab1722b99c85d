// Settings → Follow-up sequences: enable or disable each, edit its steps (waits and texts, each
// text with its preview and segment count), add and remove steps, save. The API names a bad step
// ("steps[2].minutes"); the message is shown at that step.
import { useState, type FormEvent } from 'react';
import { patch, put } from '../../api.ts';
import { useAction } from '../../hooks.ts';
import { ErrorAlert, Field, sentence } from '../../ui/Field.tsx';
import { SaveBar, SettingsCard, useCanEdit } from './common.tsx';
import { MessageEditor, usePreview } from './Templates.tsx';

export type Step = { type: 'wait'; minutes: number } | { type: 'send'; body: string };
export interface Sequence {
  id: string;
  name: string;
  trigger: string;
  enabled: boolean;
  steps: Step[];
}

/** Steps as edited: minutes stay text until saved, so a half-typed number is not lost. */
type Draft = { key: number; type: 'wait'; minutes: string } | { key: number; type: 'send'; body: string };

let nextKey = 1;
const toDraft = (s: Step): Draft => (s.type === 'wait' ? { key: nextKey++, type: 'wait', minutes: String(s.minutes) } : { key: nextKey++, type: 'send', body: s.body });

function describeWait(minutes: string): string {
  const m = Number(minutes);
  if (!Number.isFinite(m) || m <= 0) return '';
  if (m % 1440 === 0) return `${m / 1440} ${m === 1440 ? 'day' : 'days'}`;
  if (m % 60 === 0) return `${m / 60} ${m === 60 ? 'hour' : 'hours'}`;
  return `${m} minutes`;
}

function stepError(fields: Record<string, string>, i: number): string | undefined {
  const mine = Object.entries(fields).filter(([k]) => k === `steps[${i}]` || k.startsWith(`steps[${i}].`) || k.startsWith(`steps[${i}][`));
  return mine.length ? mine.map(([, v]) => sentence(v)).join(' ') : undefined;
}

function SendStep({ index, body, error, onChange }: { index: number; body: string; error: string | undefined; onChange: (body: string) => void }) {
  const preview = usePreview(body, { purpose: 'reply' });
  return (
    <MessageEditor label={`Step ${index + 1}: text`} rows={4} value={body} onChange={onChange} preview={preview} error={error} previewTitle="What they see" previewLabel={`Step ${index + 1}: preview`} />
  );
}

function SequenceEditor({ sequence, onSaved }: { sequence: Sequence; onSaved: () => void }) {
  const canEdit = useCanEdit();
  const [name, setName] = useState(sequence.name);
  const [steps, setSteps] = useState<Draft[]>(() => sequence.steps.map(toDraft));
  const [enabled, setEnabled] = useState(sequence.enabled);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useAction();
  const toggle = useAction();
  const change = (i: number, next: Draft) => {
    setSaved(null);
    setSteps((s) => s.map((x, j) => (j === i ? next : x)));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const body = {
      name: name.trim(),
      enabled,
      steps: steps.map((s) => (s.type === 'wait' ? { type: 'wait', minutes: s.minutes.trim() === '' ? NaN : Number(s.minutes) } : { type: 'send', body: s.body })),
    };
    const ok = await save.run(() => put(`/sequences/${sequence.id}`, body));
    if (ok !== undefined) {
      setSaved('Saved.');
      onSaved();
    }
  };

  const flip = async () => {
    setSaved(null);
    const ok = await toggle.run(() => patch(`/sequences/${sequence.id}`, { enabled: !enabled }));
    if (ok !== undefined) {
      setEnabled(!enabled);
      setSaved(!enabled ? 'Turned on.' : 'Turned off. Its runs under way are stopped.');
      onSaved();
    }
  };

  const fields = save.fields;
  const overall = fields.steps;
  return (
    <SettingsCard id={`seq-${sequence.id}`} title={sequence.name}>
      <p className="seq-state">
        <span className={`badge ${enabled ? 'badge-on' : ''}`}>{enabled ? 'On' : 'Off'}</span>{' '}
        <span className="muted small">{sequence.trigger === 'missed_call_no_reply' ? 'Starts after a text-back the caller has not answered.' : `Starts on: ${sequence.trigger.replace(/_/g, ' ')}.`} A reply, a booking or STOP ends it.</span>
      </p>
      {canEdit ? (
        <p>
          <button type="button" className="btn btn-quiet btn-small" onClick={() => void flip()} disabled={toggle.busy}>
            {enabled ? `Turn off ${sequence.name}` : `Turn on ${sequence.name}`}
          </button>
        </p>
      ) : null}
      <ErrorAlert message={toggle.error} />
      <form onSubmit={submit} noValidate>
        <fieldset className="plain-fieldset" disabled={!canEdit}>
          <legend className="sr-only">{sequence.name}</legend>
          <ErrorAlert message={save.error} />
          <Field label="Sequence name" error={fields.name ? sentence(`Name ${fields.name}`) : undefined}>
            {(p) => <input {...p} value={name} onChange={(e) => { setName(e.target.value); setSaved(null); }} />}
          </Field>
          {overall ? <p className="field-error">{sentence(`Steps ${overall}`)}</p> : null}
          <ol className="step-list">
            {steps.map((s, i) => (
              <li key={s.key} className={`seq-step seq-step-${s.type}`}>
                {s.type === 'wait' ? (
                  <Field label={`Step ${i + 1}: wait (minutes)`} hint={describeWait(s.minutes) ? `Waits ${describeWait(s.minutes)}. From 15 minutes to 30 days.` : 'From 15 minutes to 30 days.'} error={stepError(fields, i)} className="wait-field">
                    {(p) => <input {...p} type="number" min={15} inputMode="numeric" value={s.minutes} onChange={(e) => change(i, { ...s, minutes: e.target.value })} />}
                  </Field>
                ) : (
                  <SendStep index={i} body={s.body} error={stepError(fields, i)} onChange={(body) => change(i, { ...s, body })} />
                )}
                {canEdit ? (
                  <button type="button" className="btn btn-quiet btn-small" onClick={() => { setSteps((x) => x.filter((_, j) => j !== i)); setSaved(null); }}>
                    Remove step {i + 1}
                  </button>
                ) : null}
              </li>
            ))}
          </ol>
          {canEdit ? (
            <div className="actions add-steps">
              <button type="button" className="btn btn-quiet btn-small" onClick={() => setSteps((x) => [...x, { key: nextKey++, type: 'wait', minutes: '1440' }])}>
                Add a wait
              </button>
              <button type="button" className="btn btn-quiet btn-small" onClick={() => setSteps((x) => [...x, { key: nextKey++, type: 'send', body: 'Hi {{first_name}}, just checking in from {{business_name}}. Reply STOP to opt out.' }])}>
                Add a text
              </button>
            </div>
          ) : null}
          {canEdit ? <SaveBar busy={save.busy} saved={!!saved} savedText={saved ?? ''} label={`Save ${sequence.name}`} /> : null}
        </fieldset>
      </form>
    </SettingsCard>
  );
}

export function SequenceSettings({ sequences, onSaved }: { sequences: Sequence[]; onSaved: () => void }) {
  return (
    <div className="settings-stack">
      <p className="muted">Follow-ups text a caller again when they have not answered. Each text comes after a wait, only inside lawful hours and the automation cap.</p>
      {sequences.length === 0 ? <p>No follow-up sequences.</p> : null}
      {sequences.map((s) => (
        <SequenceEditor key={s.id} sequence={s} onSaved={onSaved} />
      ))}
    </div>
  );
}
