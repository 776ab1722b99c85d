// Pieces the API keys and webhooks cards share: a secret shown once with a copy button, and a
// button that asks before doing something that cannot be undone.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

/** Copies to the clipboard; plain-http installs have no clipboard API, so then the old command on a selection. */
async function copyText(text: string, element: HTMLElement | null): Promise<boolean> {
  try {
    if (window.isSecureContext && navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (permissions): fall back to the selection below.
  }
  if (!element) return false;
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/**
 * A secret the server answers only once. Focus goes to its copy button, so a keyboard or screen
 * reader user lands on it instead of somewhere above.
 */
export function OnceSecret({ title, value, note, copyLabel }: { title: ReactNode; value: string; note: ReactNode; copyLabel: string }) {
  const codeRef = useRef<HTMLElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  useEffect(() => {
    buttonRef.current?.focus();
  }, [value]);
  const copy = async () => setCopied(await copyText(value, codeRef.current));
  return (
    <div className="alert alert-ok secret" role="status">
      <p>
        <strong>{title}</strong> {note}
      </p>
      <code ref={codeRef}>{value}</code>
      <div className="actions secret-actions">
        <button type="button" ref={buttonRef} className="btn btn-quiet btn-small" onClick={() => void copy()}>
          {copyLabel}
        </button>
        <span className="small">{copied === true ? 'Copied.' : copied === false ? 'Could not copy here: the text is selected, copy it yourself (Ctrl+C or ⌘C).' : ''}</span>
      </div>
    </div>
  );
}

/**
 * A button that opens a confirmation step in place: the question (focused, so it is read out),
 * the action, and a way back (also Escape) that returns focus to the button.
 * `onConfirm` answers whether it worked; on failure the step stays open next to the caller's error.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  cancelLabel = 'Cancel',
  onConfirm,
  busy = false,
  disabled = false,
}: {
  label: ReactNode;
  question: ReactNode;
  confirmLabel: ReactNode;
  cancelLabel?: string;
  onConfirm: () => Promise<boolean>;
  busy?: boolean;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const questionRef = useRef<HTMLParagraphElement>(null);
  const wasOpen = useRef(false);
  const questionId = useId();
  useEffect(() => {
    if (open) questionRef.current?.focus();
    // Back to the button, unless what the action showed (a new secret) has taken the focus.
    else if (wasOpen.current && (!document.activeElement || document.activeElement === document.body)) triggerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      setOpen(false);
    }
  };
  const confirm = async () => {
    if (await onConfirm()) setOpen(false);
  };
  if (!open) {
    return (
      <button type="button" ref={triggerRef} className="btn btn-quiet btn-small" disabled={disabled || busy} onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  }
  return (
    <div role="group" aria-labelledby={questionId} className="confirm-step" onKeyDown={onKeyDown}>
      <p id={questionId} ref={questionRef} tabIndex={-1}>
        {question}
      </p>
      <div className="actions">
        <button type="button" className="btn btn-danger btn-small" disabled={busy} onClick={() => void confirm()}>
          {confirmLabel}
        </button>
        <button type="button" className="btn btn-quiet btn-small" onClick={() => setOpen(false)}>
          {cancelLabel}
        </button>
      </div>
    </div>
  );
}
