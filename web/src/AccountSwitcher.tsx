// Several businesses on one install: the switcher in the top bar (only when the person belongs to
// more than one), and the owner's "Add a business" card in Settings → Business. Switching opens a
// new session in the other business; the page reloads so no screen keeps the last one's data.
import { useMemo, useState, type FormEvent } from 'react';
import { errorMessage, post, type Role, type Session } from './api.ts';
import { useAction, useResource } from './hooks.ts';
import { useSession } from './session.tsx';
import { ErrorAlert, Field, fieldText } from './ui/Field.tsx';
import { SettingsCard, timeZones } from './screens/settings/common.tsx';

interface MyAccount {
  id: string;
  name: string;
  role: Role;
}

const ROLE_NAMES: Record<Role, string> = { owner: 'owner', admin: 'admin', agent: 'agent' };

async function switchTo(accountId: string, then: string): Promise<void> {
  await post<Session>('/auth/accounts/switch', { accountId });
  window.location.assign(then);
}

/** The screen to land on in the other business: the same screen, not the same record. */
function sameScreen(): string {
  const top = window.location.pathname.split('/')[1];
  return top ? `/${top}` : '/';
}

export function AccountSwitcher() {
  const { session } = useSession();
  const mine = useResource<{ accounts: MyAccount[] }>('/auth/accounts');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const accounts = mine.data?.accounts ?? [];
  if (accounts.length < 2) return <span className="account-name">{session.account.name}</span>;
  const change = async (accountId: string) => {
    if (accountId === session.account.id) return;
    setBusy(true);
    setError(null);
    try {
      await switchTo(accountId, sameScreen());
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <span className="account-switcher">
      <label className="sr-only" htmlFor="account-switcher">
        Business
      </label>
      <select id="account-switcher" className="account-select" value={session.account.id} disabled={busy} onChange={(e) => void change(e.target.value)}>
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name} ({ROLE_NAMES[a.role]})
          </option>
        ))}
      </select>
      {error ? (
        <span role="alert" className="account-switch-error">
          Could not switch: {error}
        </span>
      ) : null}
    </span>
  );
}

/** Settings → Business, for owners: another business on this install, with you as its owner. */
export function AddBusinessCard() {
  const { session } = useSession();
  const [name, setName] = useState('');
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/New_York');
  const zones = useMemo(() => timeZones(timeZone), []);
  const { busy, error, fields, run } = useAction();
  if (session.role !== 'owner') return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const added = await run(() => post<{ account: MyAccount }>('/auth/accounts', { name: name.trim(), timeZone }));
    if (added) await run(() => switchTo(added.account.id, '/get-started'));
  };
  return (
    <SettingsCard
      id="add-business"
      title="Add a business"
      intro="Run another business from this Ringback (an agency, or a second company). It starts with its own inbox, templates and the phone simulator; you are its owner and can switch between businesses at the top of the screen."
    >
      <form onSubmit={submit} noValidate>
        <ErrorAlert message={error} />
        <div className="grid-2">
          <Field label="New business name" error={fieldText('Name', fields.name)}>
            {(p) => <input {...p} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Its time zone" error={fieldText('Time zone', fields.timeZone)}>
            {(p) => (
              <select {...p} value={timeZone} onChange={(e) => setTimeZone(e.target.value)}>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add business and switch to it'}
        </button>
      </form>
    </SettingsCard>
  );
}
