// Settings → API keys: list (name, prefix, created, last used), create (the key is shown once),
// revoke after confirming. Agents see the list only (the server refuses them the rest).
import { useState, type FormEvent } from 'react';
import { api, post } from '../../api.ts';
import { formatWhen } from '../../format.ts';
import { useAction, useResource } from '../../hooks.ts';
import { ErrorAlert, Field, fieldText } from '../../ui/Field.tsx';
import { SettingsCard, useCanEdit } from './common.tsx';
import { ConfirmButton, OnceSecret } from './IntegrationParts.tsx';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: (name: string) => void }) {
  const canEdit = useCanEdit();
  const { busy, error, run } = useAction();
  const revoke = async () => {
    const ok = await run(async () => {
      await api('DELETE', `/api-keys/${encodeURIComponent(apiKey.id)}`);
      return true;
    });
    if (ok) onRevoked(apiKey.name);
    return ok === true;
  };
  return (
    <li className="row-item">
      <div>
        <p className="row-title">
          {apiKey.name} <code className="key-prefix">{apiKey.prefix}…</code>{' '}
          {apiKey.revokedAt ? <span className="badge">Revoked</span> : null}
        </p>
        <p className="muted small">
          Created {formatWhen(apiKey.createdAt)} · {apiKey.lastUsedAt ? `last used ${formatWhen(apiKey.lastUsedAt)}` : 'never used'}
          {apiKey.revokedAt ? ` · revoked ${formatWhen(apiKey.revokedAt)}` : ''}
        </p>
        <ErrorAlert message={error} />
      </div>
      {canEdit && !apiKey.revokedAt ? (
        <ConfirmButton
          label={`Revoke ${apiKey.name}`}
          question={`Revoke the key “${apiKey.name}”? Anything using it is refused from the next request on. This cannot be undone: you would make a new key.`}
          confirmLabel={`Revoke ${apiKey.name} now`}
          cancelLabel="Keep it"
          busy={busy}
          onConfirm={revoke}
        />
      ) : null}
    </li>
  );
}

export function ApiKeys() {
  const canEdit = useCanEdit();
  const keys = useResource<{ apiKeys: ApiKey[] }>('/api-keys');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [note, setNote] = useState('');
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    setNote('');
    const res = await run(() => post<{ key: string; apiKey: ApiKey }>('/api-keys', { name: name.trim() }));
    if (res) {
      setCreated({ name: res.apiKey.name, key: res.key });
      setName('');
      keys.reload();
    }
  };
  const onRevoked = (revoked: string) => {
    setNote(`The key “${revoked}” is revoked.`);
    if (created?.name === revoked) setCreated(null);
    keys.reload();
  };
  const list = keys.data?.apiKeys ?? [];
  return (
    <SettingsCard
      id="api-keys"
      title="API keys"
      intro={
        <>
          For your own scripts and tools (Zapier, a CRM, a cron job). Send the key with each request as <code>Authorization: Bearer &lt;key&gt;</code>. A key can do what
          the person who made it can do.
        </>
      }
    >
      {keys.error ? <ErrorAlert message={keys.error} /> : null}
      {list.length ? (
        <ul className="plain-list row-list" aria-label="API keys">
          {list.map((k) => (
            <KeyRow key={k.id} apiKey={k} onRevoked={onRevoked} />
          ))}
        </ul>
      ) : keys.data ? (
        <p className="muted">No API keys yet.</p>
      ) : null}
      <p role="status" className="saved small">
        {note}
      </p>
      {canEdit ? (
        <form onSubmit={submit} noValidate className="inline-form" aria-labelledby="api-key-new-h">
          <h3 id="api-key-new-h">Create a key</h3>
          <ErrorAlert message={error} />
          <div className="inline-add">
            <Field label="New key's name" hint="What it is for, e.g. “Zapier”." error={fieldText('Name', fields.name)}>
              {(p) => <input {...p} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Create key
            </button>
          </div>
        </form>
      ) : null}
      {created ? (
        <OnceSecret
          title={`New key “${created.name}”:`}
          note="Store it now (in your tool's settings or a password manager): it won't be shown again. Ringback keeps only a fingerprint of it, so it cannot show it to you later."
          value={created.key}
          copyLabel="Copy key"
        />
      ) : null}
    </SettingsCard>
  );
}
