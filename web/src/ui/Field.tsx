import { useId, type ReactNode } from 'react';

/** A labelled control with an optional hint and the API's error for this field, tied by aria. */
export function Field({
  label,
  error,
  hint,
  children,
  className,
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  className?: string;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ');
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(error ? { 'aria-invalid': true } : {}) })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The API writes its messages in lower case without a full stop ("the email or password is wrong"). */
export function sentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const first = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

export function ErrorAlert({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p className="alert alert-error" role="alert">
      {sentence(message)}
    </p>
  );
}

/** Capitalised first letter: the API's field messages are lower-case fragments ("must not be empty"). */
export function fieldText(name: string, message: string | undefined): string | undefined {
  if (!message) return undefined;
  return `${name} ${message}`;
}

/** A form's submit button (its label while saving) and an optional Cancel. */
export function FormActions({ busy, submitLabel, onCancel }: { busy: boolean; submitLabel: string; onCancel?: (() => void) | undefined }) {
  return (
    <div className="actions">
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Saving…' : submitLabel}
      </button>
      {onCancel ? (
        <button type="button" className="btn btn-quiet" onClick={onCancel}>
          Cancel
        </button>
      ) : null}
    </div>
  );
}
