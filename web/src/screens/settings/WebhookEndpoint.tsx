// One webhook endpoint in the list: what it sends where, and (for owners and admins) change it,
// turn it off or on, send a test event and see how it went, replace its signing secret, delete it.
// Everyone can open its delivery log.
import { useEffect, useRef, useState } from 'react';
import { api, errorMessage, patch, post } from '../../api.ts';
import { formatWhen } from '../../format.ts';
import { useAction } from '../../hooks.ts';
import { ErrorAlert } from '../../ui/Field.tsx';
import { useCanEdit } from './common.tsx';
import { ConfirmButton, OnceSecret } from './IntegrationParts.tsx';
import { DeliveryLog } from './WebhookDeliveries.tsx';
import { WebhookForm, type WebhookInput } from './WebhookForm.tsx';
import { endpointPath, eventName, followDelivery, resultSentence, type Delivery, type Endpoint } from './webhooks-model.ts';

type Note = { ok: boolean; text: string } | null;

export function EndpointRow({ endpoint, onChanged, onDeleted }: { endpoint: Endpoint; onChanged: () => void; onDeleted: (url: string) => void }) {
  const canEdit = useCanEdit();
  const [editing, setEditing] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const [logKey, setLogKey] = useState(0);
  const [note, setNote] = useState<Note>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [pinging, setPinging] = useState(false);
  const { busy, error, fields, run } = useAction();
  const editRef = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  const pingAbort = useRef<AbortController | null>(null);
  useEffect(() => () => pingAbort.current?.abort(), []);
  useEffect(() => {
    if (!editing && wasEditing.current) editRef.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  /** Another action's outcome replaces a test event's: stop following that one. */
  const clearNote = () => {
    pingAbort.current?.abort();
    setNote(null);
  };

  const save = async (input: WebhookInput) => {
    clearNote();
    const res = await run(() => patch<{ endpoint: Endpoint }>(endpointPath(endpoint.id), input));
    if (!res) return false;
    setEditing(false);
    setNote({ ok: true, text: 'Saved.' });
    onChanged();
    return true;
  };

  const toggle = async () => {
    clearNote();
    const res = await run(() => patch<{ endpoint: Endpoint }>(endpointPath(endpoint.id), { enabled: !endpoint.enabled }));
    if (res) {
      setNote({ ok: true, text: endpoint.enabled ? 'Turned off: no events are sent to it until you turn it on again.' : 'Turned on: events are sent to it again.' });
      onChanged();
    }
  };

  const ping = async () => {
    pingAbort.current?.abort();
    const ctrl = new AbortController();
    pingAbort.current = ctrl;
    setPinging(true);
    setNote({ ok: true, text: 'Sending a test event…' });
    try {
      const { delivery } = await post<{ delivery: Delivery }>(`${endpointPath(endpoint.id)}/test`, {});
      setShowLog(true);
      setLogKey((k) => k + 1);
      // Being retried: the sentence follows it until it is delivered or has failed.
      const tried = await followDelivery(endpoint.id, delivery.id, 0, ctrl.signal, (d) => {
        setPinging(false);
        setNote(resultSentence('Test event', d));
        setLogKey((k) => k + 1);
      });
      if (!tried && !ctrl.signal.aborted) setNote({ ok: false, text: 'The test event has not been tried yet. Its result will show in the delivery log below.' });
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setNote({ ok: false, text: `The test event could not be sent: ${errorMessage(err)}` });
    } finally {
      if (pingAbort.current === ctrl) setPinging(false);
    }
  };

  const rotate = async () => {
    clearNote();
    setSecret(null);
    const res = await run(() => post<{ secret: string }>(`${endpointPath(endpoint.id)}/rotate-secret`, {}));
    if (!res) return false;
    setSecret(res.secret);
    return true;
  };

  const remove = async () => {
    const ok = await run(async () => {
      await api('DELETE', endpointPath(endpoint.id));
      return true;
    });
    if (ok) onDeleted(endpoint.url);
    return ok === true;
  };

  const logId = `log-${endpoint.id}`;
  const on = endpoint.url;
  return (
    <li className="row-item endpoint">
      <div className="endpoint-main">
        <p className="row-title">
          <span className="url">{endpoint.url}</span> <span className={`badge ${endpoint.enabled ? 'badge-on' : ''}`}>{endpoint.enabled ? 'On' : 'Off'}</span>
        </p>
        <p className="muted small">
          {endpoint.description ? `${endpoint.description} · ` : ''}
          Sends: {endpoint.events.map(eventName).join(', ')} · added {formatWhen(endpoint.createdAt)}
        </p>
        <ErrorAlert message={editing ? null : error} />
        <p role="status" className={`small ${note ? (note.ok ? 'result-good' : 'result-bad') : ''}`}>
          {note?.text ?? ''}
        </p>
      </div>
      {editing ? (
        <div className="endpoint-edit">
          <WebhookForm
            title={`Change the webhook to ${endpoint.url}`}
            initial={{ url: endpoint.url, description: endpoint.description, events: endpoint.events }}
            submitLabel="Save webhook"
            busy={busy}
            error={error}
            fields={fields}
            onSubmit={save}
            onCancel={() => setEditing(false)}
            autoFocus
          />
        </div>
      ) : (
        <div className="actions endpoint-actions">
          {canEdit ? (
            <>
              <button type="button" ref={editRef} className="btn btn-quiet btn-small" disabled={busy} onClick={() => setEditing(true)}>
                Edit<span className="sr-only"> the webhook to {on}</span>
              </button>
              <button type="button" className="btn btn-quiet btn-small" disabled={busy} onClick={() => void toggle()}>
                {endpoint.enabled ? 'Turn off' : 'Turn on'}
                <span className="sr-only"> {on}</span>
              </button>
              <button type="button" className="btn btn-quiet btn-small" disabled={busy || pinging} onClick={() => void ping()}>
                Send a test event<span className="sr-only"> to {on}</span>
              </button>
            </>
          ) : null}
          <button type="button" className="btn btn-quiet btn-small" aria-expanded={showLog} aria-controls={logId} onClick={() => setShowLog((s) => !s)}>
            {showLog ? 'Hide' : 'Show'} delivery log<span className="sr-only"> for {on}</span>
          </button>
          {canEdit ? (
            <>
              <ConfirmButton
                label={
                  <>
                    Replace signing secret<span className="sr-only"> for {on}</span>
                  </>
                }
                question={`Replace the signing secret for ${on}? The current secret stops working at once: from now on every request, retries of earlier events included, is signed with the new secret only, with no overlap. Update your receiving code straight after.`}
                confirmLabel="Replace secret now"
                cancelLabel="Keep the current one"
                busy={busy}
                onConfirm={rotate}
              />
              <ConfirmButton
                label={
                  <>
                    Delete<span className="sr-only"> the webhook to {on}</span>
                  </>
                }
                question={`Delete the webhook to ${on}? Events stop going there, and its delivery log is deleted with it. This cannot be undone.`}
                confirmLabel="Delete webhook now"
                cancelLabel="Keep it"
                busy={busy}
                onConfirm={remove}
              />
            </>
          ) : null}
        </div>
      )}
      {secret ? (
        <div className="endpoint-secret">
          <OnceSecret
            title={`New signing secret for ${on}:`}
            note="Copy it now: it is shown only this once. The old secret has stopped working, so requests from now on fail your signature check until your receiving code uses this one."
            value={secret}
            copyLabel="Copy secret"
          />
        </div>
      ) : null}
      {showLog ? (
        <div id={logId} className="log-wrap">
          <DeliveryLog endpoint={endpoint} canEdit={canEdit} refreshKey={logKey} />
        </div>
      ) : null}
    </li>
  );
}
