// Settings → Compliance: lawful hours for the text-back, the business's own window for automated
// texts, the automation cap, emergency words, and callback-task timing.
import { useState, type FormEvent } from 'react';
import { patch } from '../../api.ts';
import { useAction } from '../../hooks.ts';
import { ErrorAlert, Field, fieldText } from '../../ui/Field.tsx';
import { fieldError, fullWeek, HoursEditor, SaveBar, SettingsCard, useCanEdit, type WeekHours } from './common.tsx';
import type { AccountSettings } from './types.ts';

const DEFAULT_WINDOW: WeekHours = {
  mon: [['09:00', '18:00']],
  tue: [['09:00', '18:00']],
  wed: [['09:00', '18:00']],
  thu: [['09:00', '18:00']],
  fri: [['09:00', '18:00']],
  sat: [],
  sun: [],
};

const int = (s: string) => (s.trim() === '' ? NaN : Number(s));

export function ComplianceSettings({ account, onSaved }: { account: AccountSettings; onSaved: () => void }) {
  const canEdit = useCanEdit();
  const [outside, setOutside] = useState<'send' | 'hold'>(account.textBackOutsideLawfulHours);
  const [ownWindow, setOwnWindow] = useState(account.automationHours !== null);
  const [window, setWindow] = useState<WeekHours>(() => (account.automationHours ? fullWeek(account.automationHours) : DEFAULT_WINDOW));
  const [capMessages, setCapMessages] = useState(String(account.automationCap.messages));
  const [capHours, setCapHours] = useState(String(account.automationCap.hours));
  const [words, setWords] = useState(account.emergencyWords.join(', '));
  const cb = account.callbackTasks;
  const [cbEnabled, setCbEnabled] = useState(cb.enabled);
  const [due, setDue] = useState(String(cb.dueMinutes));
  const [afterDue, setAfterDue] = useState(String(cb.afterHoursDueMinutes));
  const [remind, setRemind] = useState(String(cb.remindBeforeMinutes));
  const [escalate, setEscalate] = useState(String(cb.escalateAfterMinutes));
  const [saved, setSaved] = useState(false);
  const { busy, error, fields, run } = useAction();
  const touch = () => setSaved(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(() =>
      patch('/account', {
        textBackOutsideLawfulHours: outside,
        automationHours: ownWindow ? window : null,
        automationCap: { messages: int(capMessages), hours: int(capHours) },
        emergencyWords: words
          .split(/[,\n]/)
          .map((w) => w.trim())
          .filter(Boolean),
        callbackTasks: { enabled: cbEnabled, dueMinutes: int(due), afterHoursDueMinutes: int(afterDue), remindBeforeMinutes: int(remind), escalateAfterMinutes: int(escalate) },
      }),
    );
    if (ok !== undefined) {
      setSaved(true);
      onSaved();
    }
  };

  const windowError = fieldError(fields, 'automationHours');
  return (
    <SettingsCard id="compliance" title="Compliance" intro="When automated texts may go out, how many, and what happens when a caller writes about an emergency.">
      <form onSubmit={submit} noValidate>
        <fieldset className="plain-fieldset" disabled={!canEdit}>
          <legend className="sr-only">Compliance</legend>
          <ErrorAlert message={error} />
          <fieldset className="plain-fieldset choice-group">
            <legend>Text-back outside lawful hours</legend>
            <p className="hint">Lawful hours are 08:00–21:00 in the caller's own time zone (some states are stricter).</p>
            <label className="choice">
              <input type="radio" name="outside" value="send" checked={outside === 'send'} onChange={() => { setOutside('send'); touch(); }} />
              <span>
                <strong>Send at once</strong>
                <span className="block muted small">The text-back answers the caller's own call, so it goes out right away, at any hour.</span>
              </span>
            </label>
            <label className="choice">
              <input type="radio" name="outside" value="hold" checked={outside === 'hold'} onChange={() => { setOutside('hold'); touch(); }} />
              <span>
                <strong>Hold until lawful hours</strong>
                <span className="block muted small">A call at night gets its text-back the next morning when the caller's lawful hours begin.</span>
              </span>
            </label>
            {fields.textBackOutsideLawfulHours ? <p className="field-error">{fields.textBackOutsideLawfulHours}</p> : null}
          </fieldset>

          <fieldset className="plain-fieldset choice-group">
            <legend>Automation hours</legend>
            <p className="hint">When follow-ups and other automated texts may go out, in the recipient's local time.</p>
            <label className="choice">
              <input type="radio" name="automation-hours" checked={!ownWindow} onChange={() => { setOwnWindow(false); touch(); }} />
              <span>
                <strong>Follow the law only</strong>
                <span className="block muted small">Any time inside the recipient's lawful hours.</span>
              </span>
            </label>
            <label className="choice">
              <input type="radio" name="automation-hours" checked={ownWindow} onChange={() => { setOwnWindow(true); touch(); }} />
              <span>
                <strong>Only inside our own hours</strong>
                <span className="block muted small">Narrower than the law: only on the days and times below.</span>
              </span>
            </label>
            {windowError && !ownWindow ? <p className="field-error">Automation hours {windowError}</p> : null}
          </fieldset>
          {ownWindow ? (
            <HoursEditor legend="Automated texts may go out" value={window} onChange={(w) => { setWindow(w); touch(); }} error={windowError} fromLabel="automated texts from" toLabel="automated texts until" openLabel="Automated texts on" closedText="None" />
          ) : null}

          <fieldset className="plain-fieldset">
            <legend>Automation cap</legend>
            <p className="hint">At most this many automated texts to one person in the window (state limits apply on top).</p>
            <div className="grid-2">
              <Field label="Automated texts per person" error={fieldText('Texts per person', fields['automationCap.messages'])}>
                {(p) => <input {...p} type="number" min={1} max={10} value={capMessages} onChange={(e) => { setCapMessages(e.target.value); touch(); }} />}
              </Field>
              <Field label="Within (hours)" error={fieldText('The window', fields['automationCap.hours'])}>
                {(p) => <input {...p} type="number" min={1} max={168} value={capHours} onChange={(e) => { setCapHours(e.target.value); touch(); }} />}
              </Field>
            </div>
            {fields.automationCap ? <p className="field-error">Automation cap {fields.automationCap}</p> : null}
          </fieldset>

          <Field label="Emergency words" hint="Separate with commas. A reply with one of these pages the person on call at once." error={fieldText('Emergency words', fieldError(fields, 'emergencyWords'))}>
            {(p) => <textarea {...p} rows={2} value={words} onChange={(e) => { setWords(e.target.value); touch(); }} />}
          </Field>

          <fieldset className="plain-fieldset">
            <legend>Callback tasks</legend>
            <label className="checkbox">
              <input type="checkbox" checked={cbEnabled} onChange={(e) => { setCbEnabled(e.target.checked); touch(); }} /> Create a “call back” task for each missed call from a new lead
            </label>
            <div className="grid-2">
              <Field label="Due after (minutes, in open hours)" error={fieldText('Due after', fields['callbackTasks.dueMinutes'])}>
                {(p) => <input {...p} type="number" min={5} value={due} onChange={(e) => { setDue(e.target.value); touch(); }} />}
              </Field>
              <Field label="Due after the next opening (minutes)" hint="For calls outside open hours." error={fieldText('Due after the next opening', fields['callbackTasks.afterHoursDueMinutes'])}>
                {(p) => <input {...p} type="number" min={0} value={afterDue} onChange={(e) => { setAfterDue(e.target.value); touch(); }} />}
              </Field>
              <Field label="Remind before it is due (minutes)" hint="0: no reminder." error={fieldText('The reminder', fields['callbackTasks.remindBeforeMinutes'])}>
                {(p) => <input {...p} type="number" min={0} value={remind} onChange={(e) => { setRemind(e.target.value); touch(); }} />}
              </Field>
              <Field label="Escalate to owners when overdue by (minutes)" error={fieldText('The escalation', fields['callbackTasks.escalateAfterMinutes'])}>
                {(p) => <input {...p} type="number" min={0} value={escalate} onChange={(e) => { setEscalate(e.target.value); touch(); }} />}
              </Field>
            </div>
          </fieldset>
          {canEdit ? <SaveBar busy={busy} saved={saved} label="Save compliance" /> : null}
        </fieldset>
      </form>
    </SettingsCard>
  );
}
