// The form that adds a webhook endpoint or changes one: URL, an optional description, and the
// events to send, each with a line on what it means. The server's field errors show at the field.
import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert, Field, fieldText, FormActions } from '../../ui/Field.tsx';
import { fieldError } from './common.tsx';
import { WEBHOOK_EVENTS } from './webhooks-model.ts';

export interface WebhookInput {
  url: string;
  description: string | null;
  events: string[];
}

export function WebhookForm({
  title,
  initial,
  submitLabel,
  busy,
  error,
  fields,
  onSubmit,
  onCancel,
  autoFocus = false,
}: {
  title: string;
  initial: WebhookInput;
  submitLabel: string;
  busy: boolean;
  error: string | null;
  fields: Record<string, string>;
  /** Answers whether it was saved; the form then starts over from `initial`. */
  onSubmit: (input: WebhookInput) => Promise<boolean>;
  onCancel?: () => void;
  autoFocus?: boolean;
}) {
  const id = useId();
  const [url, setUrl] = useState(initial.url);
  const [description, setDescription] = useState(initial.description ?? '');
  const [events, setEvents] = useState<string[]>(initial.events);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const saved = await onSubmit({ url: url.trim(), description: description.trim() || null, events: WEBHOOK_EVENTS.map(([t]) => t).filter((t) => events.includes(t)) });
    if (saved) {
      setUrl(initial.url);
      setDescription(initial.description ?? '');
      setEvents(initial.events);
    }
  };
  const eventsError = fieldError(fields, 'events');
  return (
    <form onSubmit={submit} noValidate className="inline-form webhook-form" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{title}</h3>
      <ErrorAlert message={error} />
      <div className="grid-2">
        <Field label="Webhook URL" hint="Where Ringback sends events: your server's address, https:// for anything outside your network." error={fieldText('URL', fields.url)}>
          {(p) => <input {...p} type="url" inputMode="url" autoComplete="off" placeholder="https://" autoFocus={autoFocus} value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
        <Field label="Description (optional)" hint="For you, e.g. “CRM” or “Dispatch board”." error={fieldText('Description', fields.description)}>
          {(p) => <input {...p} maxLength={200} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
      </div>
      <fieldset className="plain-fieldset event-choices" aria-describedby={eventsError ? `${id}-events-error` : undefined}>
        <legend>Events to send</legend>
        {WEBHOOK_EVENTS.map(([type, name, meaning]) => (
          <div className="event-choice" key={type}>
            <label className="checkbox block-check">
              <input
                type="checkbox"
                aria-describedby={`${id}-${type}`}
                aria-invalid={eventsError ? true : undefined}
                checked={events.includes(type)}
                onChange={(e) => setEvents((x) => (e.target.checked ? [...x, type] : x.filter((y) => y !== type)))}
              />{' '}
              {name}
            </label>
            <p className="hint" id={`${id}-${type}`}>
              <code>{type}</code>: {meaning}
            </p>
          </div>
        ))}
        {eventsError ? (
          <p className="field-error" id={`${id}-events-error`}>
            Events {eventsError}
          </p>
        ) : null}
      </fieldset>
      <FormActions busy={busy} submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}
