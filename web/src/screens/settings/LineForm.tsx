// A line's settings as a form (adding a line and changing one share it), and what the carrier
// set-up of a line came to, in plain words.
import { useId } from 'react';
import type { Carrier } from '../../api.ts';
import { formatPhone } from '../../format.ts';
import { Field, fieldText } from '../../ui/Field.tsx';
import { carrierKindName, carrierName } from '../ConnectCarrierForm.tsx';

export type LineMode = 'forward' | 'conditional-forward' | 'events';

/** GET /api/v1/lines, each line as the API shows it. */
export interface LineView {
  id: string;
  number: string;
  name: string;
  mode: LineMode;
  carrierId: string;
  carrierKind: string;
  ringTargets: string[];
  ringSeconds: number;
  screening: boolean;
  greeting: string | null;
  voicemail: boolean;
  messagingEnabled: boolean;
  paused: boolean;
  webhooks: { voice: string; voiceStatus: string; messages: string };
  createdAt: string;
}

export interface CarrierSetup {
  configured: boolean;
  note?: string;
}

export const MODES: Array<[LineMode, string, string]> = [
  ['forward', 'Ringback rings your phones', 'Calls to this number come to Ringback, which rings the phones below. If nobody takes the call, the caller gets the text-back.'],
  [
    'conditional-forward',
    'Your phone forwards missed calls here',
    'Your own phone line forwards the calls it does not answer (busy, no answer) to this number. Every call that arrives here was missed, so the caller gets the text-back.',
  ],
  ['events', 'Your phone system reports missed calls', 'Your phone system (a PBX or cloud phone) keeps the calls and reports each missed one to the Ringback API. Ringback only texts back, from this number.'],
];

export const MODE_SHORT: Record<string, string> = {
  forward: 'Rings your phones',
  'conditional-forward': 'Your phone forwards missed calls here',
  events: 'Your phone system reports calls',
};

/** A line's name when it says more than its number (a line added without a name is named by it). */
export function lineLabel(line: Pick<LineView, 'number' | 'name'>): string {
  return line.name && line.name !== line.number ? `${formatPhone(line.number)} · ${line.name}` : formatPhone(line.number);
}

export interface LineDraft {
  number: string;
  name: string;
  carrierId: string;
  mode: LineMode;
  ringTargets: string[];
  ringSeconds: string;
  screening: boolean;
  greeting: string;
  voicemail: boolean;
  messagingEnabled: boolean;
  paused: boolean;
  configureCarrier: boolean;
}

export function newDraft(carriers: Carrier[]): LineDraft {
  const preferred = carriers.find((c) => c.kind !== 'simulator') ?? carriers[0];
  return {
    number: '',
    name: '',
    carrierId: preferred?.id ?? '',
    mode: 'forward',
    ringTargets: [''],
    ringSeconds: '18',
    screening: true,
    greeting: '',
    voicemail: false,
    messagingEnabled: true,
    paused: false,
    configureCarrier: true,
  };
}

export function draftOf(line: LineView): LineDraft {
  return {
    number: line.number,
    name: line.name === line.number ? '' : line.name,
    carrierId: line.carrierId,
    mode: line.mode,
    ringTargets: line.ringTargets.length ? [...line.ringTargets] : [''],
    ringSeconds: String(line.ringSeconds),
    screening: line.screening,
    greeting: line.greeting ?? '',
    voicemail: line.voicemail,
    messagingEnabled: line.messagingEnabled,
    paused: line.paused,
    configureCarrier: true,
  };
}

/** The filled-in ring targets, and for each the input it came from (the API's errors name the sent index). */
function sentTargets(draft: LineDraft): { values: string[]; inputOf: number[] } {
  const values: string[] = [];
  const inputOf: number[] = [];
  draft.ringTargets.forEach((t, i) => {
    if (t.trim()) {
      values.push(t.trim());
      inputOf.push(i);
    }
  });
  return { values, inputOf };
}

/** The settings every line has, as PATCH /lines/:id and POST /lines take them. */
export function lineBody(draft: LineDraft): Record<string, unknown> {
  const seconds = draft.ringSeconds.trim();
  return {
    mode: draft.mode,
    ringTargets: sentTargets(draft).values,
    // Not a number: sent as it is, so the server's message names the problem.
    ringSeconds: seconds === '' ? 18 : Number.isFinite(Number(seconds)) ? Number(seconds) : seconds,
    screening: draft.screening,
    greeting: draft.greeting.trim() || null,
    voicemail: draft.voicemail,
    messagingEnabled: draft.messagingEnabled,
  };
}

/** The API's error for ring-target input `index` ("ringTargets.1" is the second one sent). */
function targetError(fields: Record<string, string>, draft: LineDraft, index: number): string | undefined {
  const { inputOf } = sentTargets(draft);
  const sent = inputOf.indexOf(index);
  return sent >= 0 ? fields[`ringTargets.${sent}`] : undefined;
}

/** Whether LineFields shows the API's error for `key` at its input (as it stands: forward-only inputs come and go). */
function shownAtInput(key: string, draft: LineDraft, isNew: boolean): boolean {
  const root = key.split('.')[0] ?? key;
  if (root === 'number' || root === 'carrierId') return isNew;
  if (root === 'ringTargets' || root === 'ringSeconds' || root === 'greeting') return draft.mode === 'forward';
  return root === 'name' || root === 'mode';
}

/**
 * The form's alert. A validation answer's message only repeats the field errors (in API field
 * names), which the inputs already show: then the alert just points at them, naming only what no
 * input shows. Any other answer (a carrier's refusal, a conflict) is shown as it is.
 */
export function lineFormAlert(error: string | null, fields: Record<string, string>, draft: LineDraft, isNew: boolean, what: string): string | null {
  if (!error) return null;
  const entries = Object.entries(fields);
  if (!entries.length || error !== entries.map(([k, v]) => `${k} ${v}`).join('; ')) return error;
  const hidden = entries.filter(([k]) => !shownAtInput(k, draft, isNew));
  return hidden.length ? `${what}: ${hidden.map(([k, v]) => `${k} ${v}`).join('; ')}` : `${what}: fix what is marked below`;
}

export function LineFields({
  draft,
  onChange,
  fields,
  isNew,
  carriers,
}: {
  draft: LineDraft;
  onChange: (change: Partial<LineDraft>) => void;
  fields: Record<string, string>;
  isNew: boolean;
  carriers: Carrier[];
}) {
  const radioName = useId();
  const carrier = carriers.find((c) => c.id === draft.carrierId);
  const realCarrier = carrier && carrier.kind !== 'simulator';
  const setTarget = (i: number, v: string) => onChange({ ringTargets: draft.ringTargets.map((t, j) => (j === i ? v : t)) });
  return (
    <>
      <div className="grid-2">
        {isNew ? (
          <Field label="Phone number" hint="The number callers dial, e.g. +1 415 555 0100. It must be a number on the carrier account." error={fieldText('Number', fields.number)}>
            {(p) => <input {...p} type="tel" autoComplete="off" value={draft.number} onChange={(e) => onChange({ number: e.target.value })} />}
          </Field>
        ) : null}
        <Field label="Name (optional)" hint="How the inbox and alerts call this line, e.g. Main line. Empty: its number." error={fieldText('Name', fields.name)}>
          {(p) => <input {...p} autoComplete="off" maxLength={100} value={draft.name} onChange={(e) => onChange({ name: e.target.value })} />}
        </Field>
        {isNew ? (
          <Field label="Carrier connection" hint={carriers.length ? 'The Twilio or Telnyx account (or the simulator) the number belongs to.' : 'Connect a carrier first (below).'} error={fieldText('Carrier connection', fields.carrierId)}>
            {(p) => (
              <select {...p} value={draft.carrierId} onChange={(e) => onChange({ carrierId: e.target.value })}>
                {carriers.map((c) => (
                  <option key={c.id} value={c.id}>
                    {carrierName(c)}
                    {c.name && c.name.toLowerCase() !== c.kind ? ` (${carrierKindName(c.kind)})` : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
      </div>

      <fieldset className="plain-fieldset choice-group">
        <legend>How calls reach Ringback</legend>
        {MODES.map(([mode, title, text]) => (
          <label className="choice" key={mode}>
            <input type="radio" name={radioName} value={mode} checked={draft.mode === mode} onChange={() => onChange({ mode })} />
            <span>
              <strong>{title}</strong>
              <span className="block muted small">{text}</span>
            </span>
          </label>
        ))}
        {fields.mode ? <p className="field-error">How calls reach Ringback {fields.mode}</p> : null}
      </fieldset>

      {draft.mode === 'forward' ? (
        <fieldset className="plain-fieldset ring-targets">
          <legend>Phones to ring</legend>
          <p className="hint">Rung at the same time; the first person to take the call has it. With none, every call counts as missed.</p>
          {draft.ringTargets.map((t, i) => (
            <div className="ring-target" key={i}>
              <Field label={`Phone to ring ${i + 1}`} error={fieldText('Phone', targetError(fields, draft, i))}>
                {(p) => <input {...p} type="tel" autoComplete="off" value={t} onChange={(e) => setTarget(i, e.target.value)} />}
              </Field>
              {draft.ringTargets.length > 1 ? (
                <button type="button" className="btn btn-quiet btn-small" onClick={() => onChange({ ringTargets: draft.ringTargets.filter((_, j) => j !== i) })}>
                  Remove <span className="sr-only">phone {i + 1}</span>
                </button>
              ) : null}
            </div>
          ))}
          {fields.ringTargets ? <p className="field-error">Phones to ring: {fields.ringTargets}</p> : null}
          {draft.ringTargets.length < 10 ? (
            <button type="button" className="btn btn-quiet btn-small" onClick={() => onChange({ ringTargets: [...draft.ringTargets, ''] })}>
              Add a phone to ring
            </button>
          ) : null}
          <div className="grid-2 ring-options">
            <Field label="Ring for (seconds)" hint="5 to 120. Longer than your phone's own voicemail delay is a bad idea." error={fieldText('Ring time', fields.ringSeconds)}>
              {(p) => <input {...p} type="number" inputMode="numeric" min={5} max={120} value={draft.ringSeconds} onChange={(e) => onChange({ ringSeconds: e.target.value })} />}
            </Field>
            <Field label="Greeting (optional)" hint="Played to the caller while the phones ring, e.g. “Thanks for calling Acme Plumbing.”" error={fieldText('Greeting', fields.greeting)}>
              {(p) => <input {...p} autoComplete="off" maxLength={300} value={draft.greeting} onChange={(e) => onChange({ greeting: e.target.value })} />}
            </Field>
          </div>
          <label className="checkbox block-check">
            <input type="checkbox" checked={draft.screening} onChange={(e) => onChange({ screening: e.target.checked })} /> Call screening: whoever answers presses a key to take the call, so a phone's own voicemail never counts as answered
          </label>
        </fieldset>
      ) : null}

      {draft.mode !== 'events' ? (
        <label className="checkbox block-check">
          <input type="checkbox" checked={draft.voicemail} onChange={(e) => onChange({ voicemail: e.target.checked })} /> Voicemail: a caller nobody answered may leave a message (recorded, and transcribed where the carrier can)
        </label>
      ) : null}

      <label className="checkbox block-check">
        <input type="checkbox" checked={draft.messagingEnabled} onChange={(e) => onChange({ messagingEnabled: e.target.checked })} /> Texting on
      </label>
      <p className="hint check-hint">
        {draft.messagingEnabled
          ? 'Text-backs, follow-ups and replies from the inbox go out from this number.'
          : 'Off: no text goes out from this number: no text-back, no follow-up, and replies from the inbox are refused. Texts people send to it still arrive.'}
      </p>

      {!isNew ? (
        <>
          <label className="checkbox block-check">
            <input type="checkbox" checked={draft.paused} onChange={(e) => onChange({ paused: e.target.checked })} /> Paused
          </label>
          <p className="hint check-hint">
            {draft.paused
              ? 'Paused: calls are still handled and logged, but no automatic text goes out from this number (no text-back, and waiting follow-ups are not sent). You can still reply by hand.'
              : 'Pause to stop automatic texts from this number for a while, e.g. while you are on holiday.'}
          </p>
        </>
      ) : null}

      {isNew && realCarrier ? (
        <>
          <label className="checkbox block-check">
            <input type="checkbox" checked={draft.configureCarrier} onChange={(e) => onChange({ configureCarrier: e.target.checked })} /> Set up the number at {carrierKindName(carrier.kind)} for me
          </label>
          <p className="hint check-hint">
            {draft.configureCarrier
              ? `Ringback points the number's calls and texts at itself in your ${carrierKindName(carrier.kind)} account.`
              : `Ringback leaves the number alone and shows the addresses to paste into ${carrierKindName(carrier.kind)} yourself.`}
          </p>
        </>
      ) : null}
    </>
  );
}

/** Where the carrier must send this number's calls and texts (events mode: only the texts). */
export function webhookList(line: LineView): Array<[string, string]> {
  if (line.mode === 'events') return [['Messaging URL', line.webhooks.messages]];
  return [
    ['Voice URL (HTTP POST)', line.webhooks.voice],
    ['Call status callback', line.webhooks.voiceStatus],
    ['Messaging URL', line.webhooks.messages],
  ];
}

/** What setting the number up at the carrier came to, in plain words. */
export function SetupResult({ setup, line }: { setup: CarrierSetup; line: LineView }) {
  const carrier = carrierKindName(line.carrierKind);
  if (line.carrierKind === 'simulator') return <p>The simulator sends this number's calls and texts to Ringback. Nothing to set up at a carrier.</p>;
  if (setup.configured) return <p>Done: {carrier} now sends this number's calls and texts to Ringback.</p>;
  return (
    <div>
      <p>
        {line.mode === 'events'
          ? `Ringback left the number's calls to your phone system. In ${carrier}, set the number's messaging URL to the address below.`
          : `Ringback did not change the number at ${carrier}. In ${carrier}, paste these into the number's settings:`}
      </p>
      <Webhooks line={line} />
    </div>
  );
}

export function Webhooks({ line }: { line: LineView }) {
  return (
    <dl className="webhook-list">
      {webhookList(line).map(([name, url]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>
            <code className="url">{url}</code>
          </dd>
        </div>
      ))}
    </dl>
  );
}
