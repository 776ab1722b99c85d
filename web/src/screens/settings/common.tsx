// Pieces the settings sections share: the read-only note for agents, a save bar with its status,
// field-error lookup for nested names, and a weekly hours editor.
import type { ReactNode } from 'react';
import type { Weekday } from '../../api.ts';
import { useSession } from '../../session.tsx';

export const WEEKDAYS: Array<[Weekday, string]> = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];

export type WeekHours = Record<Weekday, Array<[string, string]>>;

/** Agents see settings but cannot change them (docs/auth.md); the server enforces it too. */
export function useCanEdit(): boolean {
  return useSession().session.role !== 'agent';
}

export function ReadOnlyNote({ ownEntryEditable = false }: { ownEntryEditable?: boolean }) {
  const canEdit = useCanEdit();
  if (canEdit) return null;
  return (
    <p className="alert alert-warn">
      {ownEntryEditable
        ? 'You are signed in as an agent: you can change your own phone and alerts; the rest is for an owner or admin.'
        : 'You are signed in as an agent, so you can see these settings but not change them. Ask an owner or admin.'}
    </p>
  );
}

/** The API's field error for `name`, or for anything nested under it ("steps[2].minutes", "automationCap.messages"). */
export function fieldError(fields: Record<string, string>, name: string): string | undefined {
  if (fields[name]) return fields[name];
  const hit = Object.entries(fields).find(([k]) => k.startsWith(`${name}.`) || k.startsWith(`${name}[`));
  return hit?.[1];
}

export function SaveBar({ busy, saved, label, savedText = 'Saved.', disabled }: { busy: boolean; saved: boolean; label: string; savedText?: string; disabled?: boolean }) {
  return (
    <div className="actions">
      <button type="submit" className="btn btn-primary" disabled={busy || disabled}>
        {busy ? 'Saving…' : label}
      </button>
      <span role="status" className="saved">
        {saved ? savedText : ''}
      </span>
    </div>
  );
}

export function SettingsCard({ id, title, intro, children }: { id: string; title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section className="card settings-card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {intro ? <p className="muted">{intro}</p> : null}
      {children}
    </section>
  );
}

/**
 * One opening window per day (later windows of a day are kept as they are). `what` names the
 * window in each control's label, e.g. "Monday opens at" / "Monday automated texts from".
 */
export function HoursEditor({
  legend,
  value,
  onChange,
  error,
  fromLabel = 'opens at',
  toLabel = 'closes at',
  openLabel = 'Open on',
  closedText = 'Closed',
}: {
  legend: string;
  value: WeekHours;
  onChange: (next: WeekHours) => void;
  error?: string | undefined;
  fromLabel?: string;
  toLabel?: string;
  openLabel?: string;
  closedText?: string;
}) {
  const setDay = (d: Weekday, range: Array<[string, string]>) => onChange({ ...value, [d]: range });
  return (
    <fieldset className="hours">
      <legend>{legend}</legend>
      {error ? <p className="field-error">{legend} {error}</p> : null}
      <table className="hours-table">
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">On</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
          </tr>
        </thead>
        <tbody>
          {WEEKDAYS.map(([d, label]) => {
            const ranges = value[d] ?? [];
            const first = ranges[0];
            return (
              <tr key={d}>
                <th scope="row">
                  <span className="day-long">{label}</span>
                  <span className="day-short" aria-hidden="true">
                    {label.slice(0, 3)}
                  </span>
                </th>
                <td>
                  <input type="checkbox" aria-label={`${openLabel} ${label}`} checked={!!first} onChange={(e) => setDay(d, e.target.checked ? [['08:00', '17:00']] : [])} />
                </td>
                {first ? (
                  <>
                    <td>
                      <input type="time" aria-label={`${label} ${fromLabel}`} value={first[0]} onChange={(e) => setDay(d, [[e.target.value, first[1]], ...ranges.slice(1)])} />
                    </td>
                    <td>
                      <input type="time" aria-label={`${label} ${toLabel}`} value={first[1]} onChange={(e) => setDay(d, [[first[0], e.target.value], ...ranges.slice(1)])} />
                      {ranges.length > 1 ? <span className="muted small"> +{ranges.length - 1} more</span> : null}
                    </td>
                  </>
                ) : (
                  <td colSpan={2} className="muted">
                    {closedText}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </fieldset>
  );
}

export function emptyWeek(): WeekHours {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
}

export function fullWeek(hours: Partial<WeekHours> | null | undefined): WeekHours {
  const out = emptyWeek();
  for (const [d] of WEEKDAYS) out[d] = hours?.[d] ?? [];
  return out;
}

/** Every IANA zone the browser knows, UTC first, and always the account's current one. */
export function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  const set = new Set(['UTC', ...zones]);
  set.add(current);
  return [...set];
}
