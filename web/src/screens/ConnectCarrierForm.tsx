// Connecting a Twilio or Telnyx account, and what a carrier check found, in plain words. Get started
// and Settings → Lines and carriers both use this one form.
import { useState, type FormEvent } from 'react';
import { post, type Carrier, type CarrierCheck } from '../api.ts';
import { formatPhone } from '../format.ts';
import { useAction } from '../hooks.ts';
import { Field, fieldText, sentence } from '../ui/Field.tsx';

export interface CheckSummary {
  ok: boolean;
  lines: string[];
}

const KIND_NAMES: Record<string, string> = { simulator: 'Simulator', twilio: 'Twilio', telnyx: 'Telnyx' };
const CREDENTIAL_LABELS: Record<string, string> = { accountSid: 'Account SID', authToken: 'Auth Token', apiKey: 'API key', publicKey: 'Public key', kind: 'Carrier' };

export function carrierKindName(kind: string): string {
  return KIND_NAMES[kind] ?? kind;
}

/** What people call a connection: its own name, else its kind. */
export function carrierName(c: Pick<Carrier, 'name' | 'kind'>): string {
  return c.name || carrierKindName(c.kind);
}

/** The API answers `{ check: {...} }`. */
export async function checkCarrier(id: string): Promise<CarrierCheck> {
  return (await post<{ check: CarrierCheck }>(`/carriers/${id}/check`, {})).check;
}

/**
 * A check as sentences. `connected`: worded for a connection just made ("X is connected and …");
 * `noLines`: what to say when no line uses the connection yet.
 */
export function describeCheck(name: string, check: CarrierCheck, opts: { connected?: boolean; noLines?: string } = {}): CheckSummary {
  const lines: string[] = [];
  if (opts.connected) lines.push(check.ok ? `${name} is connected and everything checks out.` : `${name} is connected, but some things need fixing:`);
  else lines.push(check.ok ? `${name}: everything checks out.` : `${name}: some things need fixing.`);
  lines.push(...check.problems.map(sentence));
  for (const l of check.lines) {
    if (l.ok) lines.push(`${formatPhone(l.number)}: set up correctly.`);
    else lines.push(...l.problems.map((p) => `${formatPhone(l.number)}: ${sentence(p)}`));
  }
  if (check.lines.length === 0) lines.push(opts.noLines ?? 'No line uses this connection yet.');
  return { ok: check.ok, lines };
}

export function CheckResult({ result }: { result: CheckSummary | null }) {
  if (!result) return null;
  return (
    <ul className={result.ok ? 'result-good' : 'result-bad'}>
      {result.lines.map((l, i) => (
        <li key={i}>{l}</li>
      ))}
    </ul>
  );
}

/**
 * Carrier, its credentials, "Check and connect". The server asks the carrier before it stores
 * anything, so a failure here means nothing was saved.
 */
export function ConnectCarrierForm({ onConnected, noLines }: { onConnected: (carrier: Carrier) => void; noLines?: string }) {
  const [kind, setKind] = useState<'twilio' | 'telnyx'>('twilio');
  const [creds, setCreds] = useState<Record<string, string>>({});
  const [result, setResult] = useState<CheckSummary | null>(null);
  const { busy, error, fields, run, setError } = useAction();
  const set = (k: string, v: string) => setCreds((c) => ({ ...c, [k]: v }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    const body = kind === 'twilio' ? { kind, accountSid: creds.accountSid ?? '', authToken: creds.authToken ?? '' } : { kind, apiKey: creds.apiKey ?? '', publicKey: creds.publicKey ?? '' };
    const res = await run(async () => {
      const created = await post<{ carrier: Carrier } | Carrier>('/carriers', body);
      const carrier = 'carrier' in created ? created.carrier : created;
      onConnected(carrier);
      const check = await checkCarrier(carrier.id);
      return describeCheck(carrierKindName(kind), check, { connected: true, ...(noLines ? { noLines } : {}) });
    });
    if (res) {
      setResult(res);
      setCreds({});
    }
  };

  return (
    <form onSubmit={submit} noValidate className="connect-form">
      <Field label="Carrier">
        {(p) => (
          <select {...p} value={kind} onChange={(e) => { setKind(e.target.value as 'twilio' | 'telnyx'); setResult(null); setError(null); }}>
            <option value="twilio">Twilio</option>
            <option value="telnyx">Telnyx</option>
          </select>
        )}
      </Field>
      {kind === 'twilio' ? (
        <div className="grid-2">
          <Field label="Account SID" hint="Starts with AC. In the Twilio Console, on the account's home page." error={fieldText('Account SID', fields.accountSid)}>
            {(p) => <input {...p} autoComplete="off" spellCheck={false} value={creds.accountSid ?? ''} onChange={(e) => set('accountSid', e.target.value)} />}
          </Field>
          <Field label="Auth Token" error={fieldText('Auth Token', fields.authToken)}>
            {(p) => <input {...p} type="password" autoComplete="off" value={creds.authToken ?? ''} onChange={(e) => set('authToken', e.target.value)} />}
          </Field>
        </div>
      ) : (
        <div className="grid-2">
          <Field label="API key" hint="Telnyx Mission Control → Auth → API Keys." error={fieldText('API key', fields.apiKey)}>
            {(p) => <input {...p} type="password" autoComplete="off" value={creds.apiKey ?? ''} onChange={(e) => set('apiKey', e.target.value)} />}
          </Field>
          <Field label="Public key" hint="Mission Control → Auth → Public Key, for checking webhook signatures." error={fieldText('Public key', fields.publicKey)}>
            {(p) => <input {...p} autoComplete="off" spellCheck={false} value={creds.publicKey ?? ''} onChange={(e) => set('publicKey', e.target.value)} />}
          </Field>
        </div>
      )}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Check and connect'}
        </button>
      </div>
      <div role="status" className="connect-status">
        {busy ? <p>Asking the carrier…</p> : null}
        {error ? (
          <p className="result-bad">
            Not connected.{' '}
            {Object.keys(fields).length
              ? Object.entries(fields)
                  .map(([k, v]) => sentence(`${CREDENTIAL_LABELS[k] ?? k} ${v}`))
                  .join(' ')
              : sentence(error)}
          </p>
        ) : null}
        <CheckResult result={result} />
      </div>
    </form>
  );
}
