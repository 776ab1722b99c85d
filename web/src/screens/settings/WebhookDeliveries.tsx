// One endpoint's delivery log: newest first, paged ("Show older"), each delivery with its event,
// time, attempts, last answer and next try, every attempt on demand, and "Redeliver" with its
// result. While something is on its way the log refreshes itself.
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, get, post } from '../../api.ts';
import { formatWhen } from '../../format.ts';
import { ErrorAlert } from '../../ui/Field.tsx';
import { deliveryPath, endpointPath, eventName, nextTry, outcome, resultSentence, statusWord, followDelivery, type Delivery, type DeliveryPage, type Endpoint } from './webhooks-model.ts';

const PAGE = 10;
const MIN_REFRESH_MS = 2000;
const MAX_REFRESH_MS = 30_000;

function pillClass(d: Delivery): string {
  if (d.status === 'delivered') return 'pill pill-answered';
  if (d.status === 'failed') return 'pill pill-failed';
  return 'pill pill-pending';
}

function DeliveryItem({ endpoint, delivery, canEdit, onChange }: { endpoint: Endpoint; delivery: Delivery; canEdit: boolean; onChange: (d: Delivery) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const what = `${eventName(delivery.eventType)} from ${formatWhen(delivery.createdAt)}`;
  const redeliver = async () => {
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    setBusy(true);
    setError(null);
    setResult({ ok: true, text: 'Sending it again…' });
    try {
      const before = delivery.attempts;
      const { delivery: reopened } = await post<{ delivery: Delivery }>(`${deliveryPath(endpoint.id, delivery.id)}/redeliver`, {});
      onChange(reopened);
      const tried = await followDelivery(endpoint.id, delivery.id, before, ctrl.signal, (d) => {
        setBusy(false);
        onChange(d);
        setResult(resultSentence('Sent again and', d));
      });
      if (!tried && !ctrl.signal.aborted) setResult({ ok: false, text: 'Queued to send again; no answer yet. The log updates when there is one.' });
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      setResult(null);
      setError(errorMessage(err));
    } finally {
      if (!ctrl.signal.aborted) setBusy(false);
    }
  };
  const last = outcome(delivery.lastStatusCode, delivery.lastError);
  const retry = nextTry(delivery);
  // A disabled endpoint is refused redeliveries (but not test events): say so instead of offering a button that fails.
  const blocked = !endpoint.enabled && delivery.eventType !== 'ping';
  return (
    <li className="wh-delivery">
      <p className="wh-delivery-head">
        <span className={pillClass(delivery)}>{statusWord(delivery)}</span> <strong>{eventName(delivery.eventType)}</strong>{' '}
        <span className="muted small">
          <code>{delivery.eventType}</code> · {formatWhen(delivery.createdAt)}
        </span>
      </p>
      <p className="small">
        {delivery.attempts === 0 ? (delivery.status === 'failed' ? last : 'Not tried yet.') : `${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}. ${delivery.status === 'delivered' ? `Delivered ${formatWhen(delivery.deliveredAt)}: ` : 'Last: '}${last}`}
      </p>
      {retry ? <p className="small result-bad">{retry}</p> : null}
      {delivery.attemptLog.length ? (
        <details className="wh-attempts">
          <summary>
            Every attempt<span className="sr-only"> of {what}</span>
          </summary>
          <ol>
            {delivery.attemptLog.map((a) => (
              <li key={a.attempt}>
                <span className="small">
                  {formatWhen(a.attemptedAt)} · {a.statusCode !== null ? `answered ${a.statusCode}` : 'no answer'} · {a.durationMs} ms
                </span>
                {a.error ? <span className="block small result-bad">{outcome(a.statusCode, a.error)}</span> : null}
                {a.responseExcerpt ? <pre className="wh-excerpt">{a.responseExcerpt}</pre> : null}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {canEdit && delivery.status !== 'pending' ? (
        blocked ? (
          <p className="muted small">Turn this webhook on to send it again.</p>
        ) : (
          <div className="actions">
            <button type="button" className="btn btn-quiet btn-small" disabled={busy} onClick={() => void redeliver()}>
              Redeliver<span className="sr-only"> {what}</span>
            </button>
          </div>
        )
      ) : null}
      <ErrorAlert message={error} />
      <p role="status" className={`small ${result ? (result.ok ? 'result-good' : 'result-bad') : ''}`}>
        {result?.text ?? ''}
      </p>
    </li>
  );
}

/** `refreshKey`: bump it to reload the newest deliveries (e.g. after a test event). */
export function DeliveryLog({ endpoint, canEdit, refreshKey }: { endpoint: Endpoint; canEdit: boolean; refreshKey: number }) {
  const [items, setItems] = useState<Delivery[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [pages, setPages] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const base = `${endpointPath(endpoint.id)}/deliveries`;
  const pagesRef = useRef(pages);
  pagesRef.current = pages;

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const first = await get<DeliveryPage>(`${base}?limit=${PAGE}`, signal);
        const ids = new Set(first.deliveries.map((d) => d.id));
        // Older pages the person opened stay; everything newer comes from the first page.
        setItems((prev) => [...first.deliveries, ...(pagesRef.current > 1 ? (prev ?? []).filter((d) => !ids.has(d.id)) : [])]);
        if (pagesRef.current === 1) setNext(first.next);
        setError(null);
      } catch (err) {
        if ((err as Error).name !== 'AbortError') setError(errorMessage(err));
      }
    },
    [base],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    void refresh(ctrl.signal);
    return () => ctrl.abort();
  }, [refresh, refreshKey]);

  // Something on its way: look again soon after its next attempt is due (a retry may be hours off).
  const dueIn = (items ?? []).filter((d) => d.status === 'pending').map((d) => (d.nextAttemptAt ? new Date(d.nextAttemptAt).getTime() - Date.now() : 0));
  const nextLook = dueIn.length ? Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, Math.min(...dueIn) + 500)) : null;
  useEffect(() => {
    if (nextLook === null) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => void refresh(ctrl.signal), nextLook);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [items, nextLook, refresh]);

  const loadOlder = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await get<DeliveryPage>(`${base}?limit=${PAGE}&before=${encodeURIComponent(next)}`);
      setItems((prev) => {
        const have = new Set((prev ?? []).map((d) => d.id));
        return [...(prev ?? []), ...page.deliveries.filter((d) => !have.has(d.id))];
      });
      setNext(page.next);
      setPages((p) => p + 1);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const replace = useCallback((d: Delivery) => setItems((prev) => (prev ?? []).map((x) => (x.id === d.id ? d : x))), []);

  if (!items) return error ? <ErrorAlert message={error} /> : <p className="muted small">Loading the delivery log…</p>;
  return (
    <div className="wh-log">
      <div className="actions wh-log-actions">
        <h3 className="wh-log-title">
          Delivery log<span className="sr-only"> for {endpoint.url}</span>
        </h3>
        <button type="button" className="btn btn-quiet btn-small" onClick={() => void refresh()}>
          Refresh<span className="sr-only"> the delivery log for {endpoint.url}</span>
        </button>
      </div>
      <ErrorAlert message={error} />
      {items.length === 0 ? (
        <p className="muted small">Nothing sent yet. Send a test event to see how your endpoint answers.</p>
      ) : (
        <ul className="plain-list delivery-log" aria-label="Delivery log">
          {items.map((d) => (
            <DeliveryItem key={d.id} endpoint={endpoint} delivery={d} canEdit={canEdit} onChange={replace} />
          ))}
        </ul>
      )}
      {next ? (
        <button type="button" className="btn btn-quiet btn-small" disabled={loadingMore} onClick={() => void loadOlder()}>
          {loadingMore ? 'Loading…' : 'Show older deliveries'}
          <span className="sr-only"> for {endpoint.url}</span>
        </button>
      ) : items.length > 0 ? (
        <p className="muted small">That is every delivery.</p>
      ) : null}
    </div>
  );
}
