// Settings → API keys and webhooks: keys (list, create → shown once, revoke) and outgoing webhook
// endpoints (list, create → signing secret shown once, on/off, test ping, delivery log).
import { useState, type FormEvent } from 'react';
import { api, patch, post } from '../../api.ts';
import { formatWhen } from '../../format.ts';
import { useAction, useResource } from '../../hooks.ts';
import { ErrorAlert, Field, fieldText } from '../../ui/Field.tsx';
import { fieldError, SettingsCard, useCanEdit } from './common.tsx';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  createdAt: string;
}

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

const WEBHOOK_EVENTS: Array<[string, string]> = [
  ['call.missed', 'A call is missed'],
  ['message.received', 'A text arrives'],
  ['lead.stage_changed', 'A lead changes stage'],
  ['task.overdue', 'A callback is overdue'],
];

function OnceSecret({ title, value, note }: { title: string; value: string; note: string }) {
  return (
    <div className="alert alert-ok secret" role="status">
      <p>
        <strong>{title}</strong> {note}
      </p>
      <code>{value}</code>
    </div>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  const canEdit = useCanEdit();
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const revoke = async () => {
    const ok = await run(async () => {
      await api('DELETE', `/api-keys/${apiKey.id}`);
      return true;
    });
    if (ok) onRevoked();
  };
  return (
    <li className="row-item">
      <div>
        <p className="row-title">
          {apiKey.name} <code>{apiKey.prefix}…</code> {apiKey.revokedAt ? <span className="badge">Revoked</span> : null}
        </p>
        <p className="muted small">
          Created {formatWhen(apiKey.createdAt)} · {apiKey.lastUsedAt ? `last used ${formatWhen(apiKey.lastUsedAt)}` : 'never used'}
          {apiKey.revokedAt ? ` · revoked ${formatWhen(apiKey.revokedAt)}` : ''}
        </p>
        <ErrorAlert message={error} />
      </div>
      {canEdit && !apiKey.revokedAt ? (
        confirming ? (
          <div className="actions">
            <span className="small">Apps using it stop working at once.</span>
            <button type="button" className="btn btn-danger btn-small" disabled={busy} onClick={() => void revoke()}>
              Revoke {apiKey.name} now
            </button>
            <button type="button" className="btn btn-quiet btn-small" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <button type="button" className="btn btn-quiet btn-small" onClick={() => setConfirming(true)}>
            Revoke {apiKey.name}
          </button>
        )
      ) : null}
    </li>
  );
}

function ApiKeys() {
  const canEdit = useCanEdit();
  const keys = useResource<{ apiKeys: ApiKey[] }>('/api-keys');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const res = await run(() => post<{ key: string; apiKey: ApiKey }>('/api-keys', { name: name.trim() }));
    if (res) {
      setCreated({ name: res.apiKey.name, key: res.key });
      setName('');
      keys.reload();
    }
  };
  const list = keys.data?.apiKeys ?? [];
  return (
    <SettingsCard id="api-keys" title="API keys" intro="For your own scripts and tools: send the key as Authorization: Bearer <key>. A key acts with the role of the person who made it.">
      {keys.error ? <ErrorAlert message={keys.error} /> : null}
      {list.length ? (
        <ul className="plain-list row-list">
          {list.map((k) => (
            <KeyRow key={k.id} apiKey={k} onRevoked={keys.reload} />
          ))}
        </ul>
      ) : keys.data ? (
        <p className="muted">No API keys yet.</p>
      ) : null}
      {canEdit ? (
        <form onSubmit={submit} noValidate className="inline-form">
          <ErrorAlert message={error} />
          <div className="inline-add">
            <Field label="New key's name" hint="What it is for, e.g. “Zapier”." error={fieldText('Name', fields.name)}>
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Create key
            </button>
          </div>
        </form>
      ) : null}
      {created ? <OnceSecret title={`The key “${created.name}”:`} value={created.key} note="Copy it now: it is shown only this once." /> : null}
    </SettingsCard>
  );
}

function DeliveryLog({ endpointId }: { endpointId: string }) {
  const log = useResource<{ deliveries: Delivery[] }>(`/webhook-endpoints/${endpointId}/deliveries?limit=20`);
  if (log.error) return <ErrorAlert message={log.error} />;
  if (!log.data) return <p className="muted small">Loading the delivery log…</p>;
  if (!log.data.deliveries.length) return <p className="muted small">Nothing sent yet.</p>;
  return (
    <ul className="plain-list delivery-log" aria-label="Delivery log">
      {log.data.deliveries.map((d) => (
        <li key={d.id}>
          <span className={`pill ${d.status === 'delivered' ? 'pill-answered' : d.status === 'failed' ? 'pill-failed' : ''}`}>{d.status}</span> <strong>{d.eventType}</strong>{' '}
          <span className="muted small">
            {formatWhen(d.createdAt)} · {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
            {d.lastStatusCode ? ` · answered ${d.lastStatusCode}` : ''}
          </span>
          {d.lastError ? <span className="block small result-bad">{d.lastError}</span> : null}
        </li>
      ))}
    </ul>
  );
}

function EndpointRow({ endpoint, onChanged }: { endpoint: Endpoint; onChanged: () => void }) {
  const canEdit = useCanEdit();
  const [showLog, setShowLog] = useState(false);
  const [logKey, setLogKey] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const toggle = async () => {
    setNote(null);
    const ok = await run(() => patch(`/webhook-endpoints/${endpoint.id}`, { enabled: !endpoint.enabled }));
    if (ok !== undefined) {
      setNote(endpoint.enabled ? 'Turned off.' : 'Turned on.');
      onChanged();
    }
  };
  const ping = async () => {
    setNote(null);
    const ok = await run(() => post(`/webhook-endpoints/${endpoint.id}/test`, {}));
    if (ok !== undefined) {
      setNote('Test event sent. Its delivery shows in the log below.');
      setShowLog(true);
      setLogKey((k) => k + 1);
    }
  };
  const logId = `log-${endpoint.id}`;
  return (
    <li className="row-item endpoint">
      <div className="endpoint-main">
        <p className="row-title">
          <span className="url">{endpoint.url}</span> <span className={`badge ${endpoint.enabled ? 'badge-on' : ''}`}>{endpoint.enabled ? 'On' : 'Off'}</span>
        </p>
        <p className="muted small">
          {endpoint.description ? `${endpoint.description} · ` : ''}
          {endpoint.events.join(', ')}
        </p>
        <ErrorAlert message={error} />
        <p role="status" className="saved small">
          {note ?? ''}
        </p>
      </div>
      <div className="actions">
        {canEdit ? (
          <>
            <button type="button" className="btn btn-quiet btn-small" disabled={busy} onClick={() => void toggle()}>
              {endpoint.enabled ? 'Turn off' : 'Turn on'}
              <span className="sr-only"> {endpoint.url}</span>
            </button>
            <button type="button" className="btn btn-quiet btn-small" disabled={busy || !endpoint.enabled} onClick={() => void ping()}>
              Send a test event<span className="sr-only"> to {endpoint.url}</span>
            </button>
          </>
        ) : null}
        <button type="button" className="btn btn-quiet btn-small" aria-expanded={showLog} aria-controls={logId} onClick={() => setShowLog((s) => !s)}>
          {showLog ? 'Hide' : 'Show'} delivery log<span className="sr-only"> for {endpoint.url}</span>
        </button>
      </div>
      {showLog ? (
        <div id={logId} className="log-wrap">
          <DeliveryLog key={logKey} endpointId={endpoint.id} />
        </div>
      ) : null}
    </li>
  );
}

function Webhooks() {
  const canEdit = useCanEdit();
  const endpoints = useResource<{ endpoints: Endpoint[] }>('/webhook-endpoints');
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(WEBHOOK_EVENTS.map(([e]) => e));
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const res = await run(() => post<{ endpoint: Endpoint; secret: string }>('/webhook-endpoints', { url: url.trim(), events, ...(description.trim() ? { description: description.trim() } : {}) }));
    if (res) {
      setCreated({ url: res.endpoint.url, secret: res.secret });
      setUrl('');
      setDescription('');
      endpoints.reload();
    }
  };
  const list = endpoints.data?.endpoints ?? [];
  return (
    <SettingsCard id="webhooks" title="Outgoing webhooks" intro="Ringback posts events to your URL, signed with the endpoint's secret, and retries until your server answers 2xx.">
      {endpoints.error ? <ErrorAlert message={endpoints.error} /> : null}
      {list.length ? (
        <ul className="plain-list row-list">
          {list.map((ep) => (
            <EndpointRow key={ep.id} endpoint={ep} onChanged={endpoints.reload} />
          ))}
        </ul>
      ) : endpoints.data ? (
        <p className="muted">No webhooks yet.</p>
      ) : null}
      {canEdit ? (
        <form onSubmit={submit} noValidate className="inline-form">
          <h3>Add a webhook</h3>
          <ErrorAlert message={error} />
          <div className="grid-2">
            <Field label="Webhook URL" error={fieldText('URL', fields.url)}>
              {(p) => <input {...p} type="url" inputMode="url" placeholder="https://" value={url} onChange={(e) => setUrl(e.target.value)} />}
            </Field>
            <Field label="Description (optional)" error={fieldText('Description', fields.description)}>
              {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
            </Field>
          </div>
          <fieldset className="plain-fieldset">
            <legend>Events to send</legend>
            {WEBHOOK_EVENTS.map(([id, label]) => (
              <label className="checkbox block-check" key={id}>
                <input type="checkbox" checked={events.includes(id)} onChange={(e) => setEvents((x) => (e.target.checked ? [...x, id] : x.filter((y) => y !== id)))} /> {label}
              </label>
            ))}
            {fieldError(fields, 'events') ? <p className="field-error">Events {fieldError(fields, 'events')}</p> : null}
          </fieldset>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Add webhook
            </button>
          </div>
        </form>
      ) : null}
      {created ? <OnceSecret title={`Signing secret for ${created.url}:`} value={created.secret} note="Copy it now: it is shown only this once. Check each request's signature with it." /> : null}
    </SettingsCard>
  );
}

export function IntegrationSettings() {
  return (
    <div className="settings-stack">
      <ApiKeys />
      <Webhooks />
    </div>
  );
}
