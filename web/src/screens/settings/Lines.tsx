// Settings → Lines and carriers: the numbers Ringback answers (mode, carrier, texting) and the
// carrier connections, each with "Check" reporting what is wrong in plain words.
import { useState } from 'react';
import { post, type Carrier, type CarrierCheck } from '../../api.ts';
import { formatPhone, formatWhen } from '../../format.ts';
import { useAction, useResource } from '../../hooks.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert } from '../../ui/Field.tsx';
import { SettingsCard, useCanEdit } from './common.tsx';

interface LineView {
  id: string;
  number: string;
  name: string | null;
  mode: string;
  carrierId: string;
  carrierKind: string;
  ringTargets: string[];
  ringSeconds: number;
  voicemail: boolean;
  messagingEnabled: boolean;
  paused: boolean;
}

const MODES: Record<string, string> = {
  forward: 'Forwards calls to your phones',
  'conditional-forward': 'Your phone forwards unanswered calls here',
  events: 'Your phone system reports calls',
};
const KINDS: Record<string, string> = { simulator: 'Simulator', twilio: 'Twilio', telnyx: 'Telnyx' };

function carrierName(c: Pick<Carrier, 'name' | 'kind'>): string {
  return c.name || KINDS[c.kind] || c.kind;
}

function describe(name: string, check: CarrierCheck): { ok: boolean; lines: string[] } {
  const lines: string[] = [check.ok ? `${name}: everything checks out.` : `${name}: some things need fixing.`];
  lines.push(...check.problems);
  for (const l of check.lines) {
    if (l.ok) lines.push(`${formatPhone(l.number)}: set up correctly.`);
    else lines.push(...l.problems.map((p) => `${formatPhone(l.number)}: ${p}`));
  }
  if (check.lines.length === 0) lines.push('No line uses this connection yet.');
  return { ok: check.ok, lines };
}

function CarrierRow({ carrier }: { carrier: Carrier }) {
  const canEdit = useCanEdit();
  const [result, setResult] = useState<{ ok: boolean; lines: string[] } | null>(null);
  const { busy, error, run } = useAction();
  const check = async () => {
    setResult(null);
    const res = await run(async () => {
      const answer = await post<{ check: CarrierCheck } | CarrierCheck>(`/carriers/${carrier.id}/check`, {});
      return describe(carrierName(carrier), 'check' in answer ? answer.check : answer);
    });
    if (res) setResult(res);
  };
  return (
    <li className="row-item">
      <div>
        <p className="row-title">{carrierName(carrier)}</p>
        <p className="muted small">
          {KINDS[carrier.kind] ?? carrier.kind} · connected {formatWhen(carrier.createdAt)}
        </p>
      </div>
      {canEdit ? (
        <button type="button" className="btn btn-quiet btn-small" disabled={busy} onClick={() => void check()}>
          {busy ? 'Checking…' : `Check ${carrierName(carrier)}`}
        </button>
      ) : null}
      <div role="status" className="check-result">
        {busy ? <p className="small">Asking the carrier…</p> : null}
        {result ? (
          <ul className={result.ok ? 'result-good' : 'result-bad'}>
            {result.lines.map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <ErrorAlert message={error} />
    </li>
  );
}

export function LineSettings() {
  const lines = useResource<{ lines: LineView[] }>('/lines');
  const carriers = useResource<{ carriers: Carrier[] }>('/carriers');
  const byId = new Map((carriers.data?.carriers ?? []).map((c) => [c.id, c]));
  return (
    <div className="settings-stack">
      <SettingsCard id="lines" title="Lines" intro="The phone numbers Ringback answers. Add or change a line with the command line (npx ringback lines add …) or the API.">
        {lines.error ? <ErrorAlert message={lines.error} /> : null}
        {lines.data && lines.data.lines.length === 0 ? <p className="muted">No lines yet.</p> : null}
        <ul className="plain-list row-list">
          {(lines.data?.lines ?? []).map((l) => {
            const c = byId.get(l.carrierId);
            return (
              <li key={l.id} className="row-item">
                <div>
                  <p className="row-title">
                    {formatPhone(l.number)} {l.name ? <span className="muted">· {l.name}</span> : null} {l.paused ? <span className="badge badge-warn">Paused</span> : null}
                  </p>
                  <p className="muted small">
                    {MODES[l.mode] ?? l.mode} · carrier: {c ? carrierName(c) : (KINDS[l.carrierKind] ?? l.carrierKind)} · texting {l.messagingEnabled ? 'on' : 'off'}
                    {l.mode === 'forward' && l.ringTargets.length ? ` · rings ${l.ringTargets.map(formatPhone).join(', ')} for ${l.ringSeconds} s` : ''}
                    {l.voicemail ? ' · voicemail on' : ''}
                  </p>
                </div>
              </li>
            );
          })}
        </ul>
      </SettingsCard>
      <SettingsCard id="carriers" title="Carrier connections">
        {carriers.error ? <ErrorAlert message={carriers.error} /> : null}
        <ul className="plain-list row-list">
          {(carriers.data?.carriers ?? []).map((c) => (
            <CarrierRow key={c.id} carrier={c} />
          ))}
        </ul>
        <p>
          <Link to="/get-started#connect">Connect a Twilio or Telnyx account</Link>
        </p>
      </SettingsCard>
    </div>
  );
}
