// Settings → outgoing webhooks: the account's endpoints (each with its actions and delivery log)
// and the form that adds one, whose signing secret is shown once.
import { useState } from 'react';
import { post } from '../../api.ts';
import { useAction, useResource } from '../../hooks.ts';
import { ErrorAlert } from '../../ui/Field.tsx';
import { SettingsCard, useCanEdit } from './common.tsx';
import { OnceSecret } from './IntegrationParts.tsx';
import { EndpointRow } from './WebhookEndpoint.tsx';
import { WebhookForm, type WebhookInput } from './WebhookForm.tsx';
import { WEBHOOK_EVENTS, type Endpoint } from './webhooks-model.ts';

const NEW_WEBHOOK: WebhookInput = { url: '', description: null, events: WEBHOOK_EVENTS.map(([t]) => t) };

export function Webhooks() {
  const canEdit = useCanEdit();
  const endpoints = useResource<{ endpoints: Endpoint[] }>('/webhook-endpoints');
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [note, setNote] = useState('');
  const { busy, error, fields, run } = useAction();
  const add = async (input: WebhookInput) => {
    setCreated(null);
    setNote('');
    const body = { url: input.url, events: input.events, ...(input.description ? { description: input.description } : {}) };
    const res = await run(() => post<{ endpoint: Endpoint; secret: string }>('/webhook-endpoints', body));
    if (!res) return false;
    setCreated({ url: res.endpoint.url, secret: res.secret });
    endpoints.reload();
    return true;
  };
  const onDeleted = (url: string) => {
    setNote(`The webhook to ${url} is deleted.`);
    if (created?.url === url) setCreated(null);
    endpoints.reload();
  };
  const list = endpoints.data?.endpoints ?? [];
  return (
    <SettingsCard
      id="webhooks"
      title="Outgoing webhooks"
      intro="Ringback posts events to your URL as they happen, signed with the webhook's secret, and retries until your server answers with a 2xx code. Each delivery and every attempt is in the webhook's delivery log."
    >
      {endpoints.error ? <ErrorAlert message={endpoints.error} /> : null}
      {list.length ? (
        <ul className="plain-list row-list" aria-label="Webhooks">
          {list.map((ep) => (
            <EndpointRow key={ep.id} endpoint={ep} onChanged={endpoints.reload} onDeleted={onDeleted} />
          ))}
        </ul>
      ) : endpoints.data ? (
        <p className="muted">No webhooks yet.</p>
      ) : null}
      <p role="status" className="saved small">
        {note}
      </p>
      {canEdit ? <WebhookForm title="Add a webhook" initial={NEW_WEBHOOK} submitLabel="Add webhook" busy={busy} error={error} fields={fields} onSubmit={add} /> : null}
      {created ? (
        <OnceSecret
          title={`Signing secret for ${created.url}:`}
          note="Copy it now: it is shown only this once. Your receiving code uses it to check the ringback-signature header of every request (HMAC-SHA256, as Stripe does)."
          value={created.secret}
          copyLabel="Copy secret"
        />
      ) : null}
    </SettingsCard>
  );
}
