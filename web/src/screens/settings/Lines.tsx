// Settings → Lines and carriers: the numbers Ringback answers (added, changed and removed here,
// with the carrier set-up in plain words) and the carrier connections (connected, checked and
// removed here).
// Agents see the same lists without the buttons; the server refuses their changes too.
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, patch, post, type Carrier } from '../../api.ts';
import { formatPhone, formatWhen } from '../../format.ts';
import { useAction, useResource } from '../../hooks.ts';
import { ErrorAlert, sentence } from '../../ui/Field.tsx';
import { carrierKindName, carrierName, checkCarrier, CheckResult, ConnectCarrierForm, describeCheck, type CheckSummary } from '../ConnectCarrierForm.tsx';
import { SaveBar, SettingsCard, useCanEdit } from './common.tsx';
import { draftOf, LineFields, lineBody, lineFormAlert, lineLabel, MODE_SHORT, newDraft, SetupResult, Webhooks, type CarrierSetup, type LineDraft, type LineView } from './LineForm.tsx';

function summary(l: LineView, carrier: Carrier | undefined): string {
  const parts = [MODE_SHORT[l.mode] ?? l.mode, `carrier: ${carrier ? carrierName(carrier) : carrierKindName(l.carrierKind)}`, `texting ${l.messagingEnabled ? 'on' : 'off'}`];
  if (l.mode === 'forward') {
    parts.push(l.ringTargets.length ? `rings ${l.ringTargets.map(formatPhone).join(', ')} for ${l.ringSeconds} s${l.screening ? ' with call screening' : ''}` : 'no phones to ring');
    if (l.greeting) parts.push(`greeting “${l.greeting}”`);
  }
  if (l.voicemail && l.mode !== 'events') parts.push('voicemail on');
  return parts.join(' · ');
}

function RemoveLine({ line, onRemoved }: { line: LineView; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run, setError } = useAction();
  const label = formatPhone(line.number);
  const remove = async () => {
    const ok = await run(async () => {
      await api('DELETE', `/lines/${line.id}`);
      return true;
    });
    setConfirming(false);
    if (ok) onRemoved();
  };
  return (
    <div className="line-remove">
      <h3 className="small-h">Remove this line</h3>
      <p className="muted small">Only a line nothing happened on can go (one added by mistake, or on the wrong connection): calls and conversations are kept, so a line with them stays. The number is left as it is at the carrier.</p>
      {confirming ? (
        <div className="actions">
          <button type="button" className="btn btn-danger btn-small" disabled={busy} onClick={() => void remove()}>
            Remove {label} now
          </button>
          <button type="button" className="btn btn-quiet btn-small" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" className="btn btn-quiet btn-small" onClick={() => { setError(null); setConfirming(true); }}>
          Remove {label}
        </button>
      )}
      {error ? (
        <p className="alert alert-error" role="alert">
          {label} was not removed. {sentence(error)}
        </p>
      ) : null}
    </div>
  );
}

function EditLine({ line, carrier, onSaved, onClose, onRemoved }: { line: LineView; carrier: Carrier | undefined; onSaved: () => void; onClose: () => void; onRemoved: () => void }) {
  const [draft, setDraft] = useState<LineDraft>(() => draftOf(line));
  const [saved, setSaved] = useState(false);
  const [setup, setSetup] = useState<CarrierSetup | null>(null);
  const { busy, error, fields, run } = useAction();
  const again = useAction();
  const label = formatPhone(line.number);
  const change = (c: Partial<LineDraft>) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...c }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(() => patch(`/lines/${line.id}`, { ...lineBody(draft), name: draft.name.trim() || line.number, paused: draft.paused }));
    if (ok !== undefined) {
      setSaved(true);
      onSaved();
    }
  };
  const setUpAgain = async () => {
    setSetup(null);
    const res = await again.run(() => post<{ carrierSetup: CarrierSetup }>(`/lines/${line.id}/configure-carrier`, {}));
    if (res) setSetup(res.carrierSetup);
  };
  const kind = carrierKindName(line.carrierKind);
  return (
    <form onSubmit={submit} noValidate className="member-form line-form" aria-label={`Edit ${label}`}>
      <ErrorAlert message={lineFormAlert(error, fields, draft, false, 'Not saved')} />
      <LineFields draft={draft} onChange={change} fields={fields} isNew={false} carriers={carrier ? [carrier] : []} />
      <SaveBar busy={busy} saved={saved} label={`Save ${label}`} savedText="Saved. The next call and text on this number follow it." />

      <div className="line-carrier">
        <h3 className="small-h">At the carrier</h3>
        {line.carrierKind === 'simulator' ? (
          <p className="muted small">On the simulator: its calls and texts come to Ringback by themselves.</p>
        ) : (
          <>
            <p className="muted small">Where {kind} must send this number's calls and texts. Set it up again if someone changed the number in the {kind} console.</p>
            <Webhooks line={line} />
          </>
        )}
        <div className="actions">
          <button type="button" className="btn btn-quiet" disabled={again.busy} onClick={() => void setUpAgain()}>
            {again.busy ? 'Setting up…' : `Set up at ${line.carrierKind === 'simulator' ? 'the simulator' : kind} again`}
          </button>
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Close
          </button>
        </div>
        <ErrorAlert message={again.error} />
        <div role="status" className="setup-result">
          {again.busy ? <p className="small">Asking the carrier…</p> : null}
          {setup ? <SetupResult setup={setup} line={line} /> : null}
        </div>
      </div>
      <RemoveLine line={line} onRemoved={onRemoved} />
    </form>
  );
}

function LineRow({ line, carrier, onSaved, onRemoved }: { line: LineView; carrier: Carrier | undefined; onSaved: () => void; onRemoved: () => void }) {
  const canEdit = useCanEdit();
  const [open, setOpen] = useState(false);
  const formId = `line-${line.id}`;
  return (
    <li className="row-item line-row">
      <div>
        <p className="row-title">
          {lineLabel(line)} {line.paused ? <span className="badge badge-warn">Paused</span> : null} {!line.messagingEnabled ? <span className="badge badge-warn">Texting off</span> : null}
        </p>
        <p className="muted small">{summary(line, carrier)}</p>
      </div>
      {canEdit ? (
        <button type="button" className="btn btn-quiet btn-small" aria-expanded={open} aria-controls={open ? formId : undefined} onClick={() => setOpen((o) => !o)}>
          {open ? `Close ${formatPhone(line.number)}` : `Edit ${formatPhone(line.number)}`}
        </button>
      ) : null}
      {open ? (
        <div id={formId} className="line-edit">
          <EditLine line={line} carrier={carrier} onSaved={onSaved} onClose={() => setOpen(false)} onRemoved={onRemoved} />
        </div>
      ) : null}
    </li>
  );
}

function AddLine({ carriers, onAdded, onClose }: { carriers: Carrier[]; onAdded: (line: LineView, setup: CarrierSetup) => void; onClose: () => void }) {
  const [draft, setDraft] = useState<LineDraft>(() => newDraft(carriers));
  const { busy, error, fields, run } = useAction();
  const change = (c: Partial<LineDraft>) => setDraft((d) => ({ ...d, ...c }));
  const carrier = carriers.find((c) => c.id === draft.carrierId);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      ...lineBody(draft),
      number: draft.number.trim(),
      ...(draft.name.trim() ? { name: draft.name.trim() } : {}),
      ...(draft.carrierId ? { carrierId: draft.carrierId } : {}),
      ...(carrier && carrier.kind !== 'simulator' ? { configureCarrier: draft.configureCarrier } : {}),
    };
    const res = await run(() => post<{ line: LineView; carrierSetup: CarrierSetup }>('/lines', body));
    if (res) onAdded(res.line, res.carrierSetup);
  };
  return (
    <form onSubmit={submit} noValidate className="line-form add-line" aria-labelledby="add-line-h">
      <h3 id="add-line-h">Add a line</h3>
      <ErrorAlert message={lineFormAlert(error, fields, draft, true, 'Not added')} />
      <LineFields draft={draft} onChange={change} fields={fields} isNew carriers={carriers} />
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy || carriers.length === 0}>
          {busy ? (carrier && carrier.kind !== 'simulator' && draft.configureCarrier ? `Setting up at ${carrierKindName(carrier.kind)}…` : 'Adding…') : 'Add this line'}
        </button>
        <button type="button" className="btn btn-quiet" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function CarrierRow({ carrier, lineCount, onRemoved }: { carrier: Carrier; lineCount: number; onRemoved: () => void }) {
  const canEdit = useCanEdit();
  const [result, setResult] = useState<CheckSummary | null>(null);
  const [confirming, setConfirming] = useState(false);
  const check = useAction();
  const remove = useAction();
  const name = carrierName(carrier);
  const runCheck = async () => {
    setResult(null);
    const res = await check.run(async () => describeCheck(name, await checkCarrier(carrier.id)));
    if (res) setResult(res);
  };
  const removeNow = async () => {
    const ok = await remove.run(async () => {
      await api('DELETE', `/carriers/${carrier.id}`);
      return true;
    });
    setConfirming(false);
    if (ok) onRemoved();
  };
  const removable = canEdit && carrier.kind !== 'simulator';
  return (
    <li className="row-item">
      <div>
        <p className="row-title">{name}</p>
        <p className="muted small">
          {carrierKindName(carrier.kind)} · connected {formatWhen(carrier.createdAt)} · {lineCount === 1 ? '1 line' : `${lineCount} lines`}
        </p>
      </div>
      {canEdit ? (
        <div className="actions row-actions">
          <button type="button" className="btn btn-quiet btn-small" disabled={check.busy} onClick={() => void runCheck()}>
            {check.busy ? 'Checking…' : `Check ${name}`}
          </button>
          {removable && !confirming ? (
            <button type="button" className="btn btn-quiet btn-small" onClick={() => { remove.setError(null); setConfirming(true); }}>
              Remove {name}
            </button>
          ) : null}
        </div>
      ) : null}
      {removable && confirming ? (
        <div className="actions confirm-row">
          <span className="small">Ringback forgets its credentials. A connection that lines still use cannot be removed.</span>
          <button type="button" className="btn btn-danger btn-small" disabled={remove.busy} onClick={() => void removeNow()}>
            Remove {name} now
          </button>
          <button type="button" className="btn btn-quiet btn-small" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      <div role="status" className="check-result">
        {check.busy ? <p className="small">Asking the carrier…</p> : null}
        <CheckResult result={result} />
      </div>
      {remove.error ? (
        <p className="alert alert-error check-result" role="alert">
          {name} was not removed. {sentence(remove.error)}
        </p>
      ) : null}
      <ErrorAlert message={check.error} />
    </li>
  );
}

export function LineSettings() {
  const canEdit = useCanEdit();
  const lines = useResource<{ lines: LineView[] }>('/lines');
  const carriers = useResource<{ carriers: Carrier[] }>('/carriers');
  const [adding, setAdding] = useState(false);
  const [connecting, setConnecting] = useState(false);
  // What the last add or removal came to, shown until the next one.
  const [notice, setNotice] = useState<ReactNode>(null);
  const carrierList = carriers.data?.carriers ?? [];
  const lineList = lines.data?.lines ?? [];
  const byId = new Map(carrierList.map((c) => [c.id, c]));
  return (
    <div className="settings-stack">
      <SettingsCard id="lines" title="Lines" intro="The phone numbers Ringback answers, each on one carrier connection.">
        {lines.error ? <ErrorAlert message={lines.error} /> : null}
        {lines.data && lineList.length === 0 ? <p className="muted">No lines yet.</p> : null}
        <ul className="plain-list row-list">
          {lineList.map((l) => (
            <LineRow
              key={l.id}
              line={l}
              carrier={byId.get(l.carrierId)}
              onSaved={lines.reload}
              onRemoved={() => {
                setNotice(<p>{lineLabel(l)} is removed.</p>);
                lines.reload();
              }}
            />
          ))}
        </ul>
        <div role="status">{notice ? <div className="alert alert-ok line-added">{notice}</div> : null}</div>
        {canEdit ? (
          adding ? (
            <AddLine
              carriers={carrierList}
              onClose={() => setAdding(false)}
              onAdded={(line, setup) => {
                setNotice(
                  <>
                    <p>
                      <strong>{lineLabel(line)} is added.</strong>
                    </p>
                    <SetupResult setup={setup} line={line} />
                  </>,
                );
                setAdding(false);
                lines.reload();
                carriers.reload();
              }}
            />
          ) : (
            <button type="button" className="btn btn-primary" disabled={!carriers.data} onClick={() => { setNotice(null); setAdding(true); }}>
              Add a line
            </button>
          )
        ) : null}
      </SettingsCard>
      <SettingsCard id="carriers" title="Carrier connections" intro="The Twilio or Telnyx accounts your numbers belong to. The simulator is built in, for trying Ringback out.">
        {carriers.error ? <ErrorAlert message={carriers.error} /> : null}
        <ul className="plain-list row-list">
          {carrierList.map((c) => (
            <CarrierRow key={c.id} carrier={c} lineCount={lineList.filter((l) => l.carrierId === c.id).length} onRemoved={carriers.reload} />
          ))}
        </ul>
        {canEdit ? (
          connecting ? (
            <div className="connect-panel">
              <h3>Connect a Twilio or Telnyx account</h3>
              <p className="muted small">Ringback checks the credentials with the carrier before it stores them, encrypted.</p>
              <ConnectCarrierForm onConnected={() => carriers.reload()} noLines="Next: add a line for one of its numbers (Lines, above)." />
              <button type="button" className="btn btn-quiet" onClick={() => setConnecting(false)}>
                Close
              </button>
            </div>
          ) : (
            <button type="button" className="btn btn-quiet" onClick={() => setConnecting(true)}>
              Connect a Twilio or Telnyx account
            </button>
          )
        ) : null}
      </SettingsCard>
    </div>
  );
}
