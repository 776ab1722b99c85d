// The state calling-hours and frequency-cap table (data/state-rules.json), checked once at load.
// The table is data so that counsel can correct it without a code change: see docs/compliance.md.
import Holidays from 'date-holidays';
import rules from './data/state-rules.json' with { type: 'json' };
import { validateBusinessHours } from './schedule.ts';
import type { BusinessHours } from './schedule.ts';

export type StateCode = string;
/** V: primary source; S: secondary source only; U: unverified. */
export type Confidence = 'V' | 'S' | 'U';

/** A cap as the data file writes it: at most `messages` automated texts per rolling `hours`. */
export interface CapSetting {
  messages: number;
  hours: number;
}

/** A date-holidays rule ("easter -2", "tuesday after 1st monday in November") and its name. */
export interface ExtraHoliday {
  rule: string;
  name: string;
}

export interface StateRule {
  name: string;
  /** Allowed local sending ranges per weekday; [] = no automated texts that day. */
  hours: BusinessHours;
  /** No automated texts on the state's public holidays (date-holidays, plus extraHolidays). */
  noHolidays: boolean;
  cap: CapSetting | null;
  /**
   * The state's law presumes a number with one of its area codes reaches a resident (Florida,
   * Oklahoma): the area code's state is kept even when an address names another state.
   */
  areaCodePresumption: boolean;
  /** Reference ids, e.g. "[11]" (section 8 of the compliance reference). */
  sources: string[];
  confidence: Confidence;
  notes: string;
  extraHolidays?: ExtraHoliday[];
}

export interface WindowRule {
  name: string;
  hours: BusinessHours;
  noHolidays?: boolean;
  sources: string[];
  confidence: Confidence;
  notes: string;
}

export interface StateRules {
  /** The date the table was last reviewed, YYYY-MM-DD. */
  version: string;
  reviewedFrom: string[];
  /** The federal outer bound (08:00-21:00), applied everywhere. */
  federal: WindowRule;
  /** Applied when the recipient's state is not known (09:00-20:00). */
  unknownRecipient: WindowRule;
  states: Record<StateCode, StateRule>;
}

/** The 50 states and DC; the table must have exactly these. */
export const US_STATE_CODES: readonly StateCode[] = [
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS',
  'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC',
  'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY',
];

const CONFIDENCE = new Set(['V', 'S', 'U']);

/** Checks the whole table and returns it typed; throws one error listing every problem. */
export function parseStateRules(input: unknown): StateRules {
  const errors: string[] = [];
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(input)) throw new Error('state rules: the file must be a JSON object');

  if (typeof input.version !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(input.version)) {
    errors.push('version must be a date "YYYY-MM-DD"');
  }
  if (!Array.isArray(input.reviewedFrom) || !input.reviewedFrom.every((s) => typeof s === 'string')) {
    errors.push('reviewedFrom must be a list of source notes');
  }

  const windowRule = (where: string, v: unknown): WindowRule | null => {
    if (!obj(v)) {
      errors.push(`${where} must be an object`);
      return null;
    }
    const before = errors.length;
    if (typeof v.name !== 'string' || v.name === '') errors.push(`${where}.name must be a non-empty string`);
    const hours = validateBusinessHours(v.hours);
    if (!hours.ok) errors.push(...hours.errors.map((e) => `${where}.hours: ${e}`));
    if (v.noHolidays !== undefined && typeof v.noHolidays !== 'boolean') errors.push(`${where}.noHolidays must be true or false`);
    if (!Array.isArray(v.sources) || !v.sources.every((s) => typeof s === 'string')) {
      errors.push(`${where}.sources must be a list of reference ids like "[11]"`);
    }
    if (typeof v.confidence !== 'string' || !CONFIDENCE.has(v.confidence)) errors.push(`${where}.confidence must be "V", "S" or "U"`);
    if (typeof v.notes !== 'string') errors.push(`${where}.notes must be a string`);
    if (errors.length > before || !hours.ok) return null;
    return {
      name: v.name as string,
      hours: hours.value,
      noHolidays: (v.noHolidays as boolean | undefined) ?? false,
      sources: v.sources as string[],
      confidence: v.confidence as Confidence,
      notes: v.notes as string,
    };
  };

  const federal = windowRule('federal', input.federal);
  const unknownRecipient = windowRule('unknownRecipient', input.unknownRecipient);

  const states: Record<StateCode, StateRule> = {};
  if (!obj(input.states)) {
    errors.push('states must be an object keyed by two-letter state code');
  } else {
    for (const code of Object.keys(input.states)) {
      if (!US_STATE_CODES.includes(code)) errors.push(`states: unknown state code "${code}"`);
    }
    for (const code of US_STATE_CODES) {
      const v = input.states[code];
      const where = `states.${code}`;
      if (v === undefined) {
        errors.push(`${where} is missing (the table must cover all 50 states and DC)`);
        continue;
      }
      const base = windowRule(where, v);
      if (!obj(v) || base === null) continue;
      const before = errors.length;
      if (typeof v.noHolidays !== 'boolean') errors.push(`${where}.noHolidays must be true or false`);
      if (v.areaCodePresumption !== undefined && typeof v.areaCodePresumption !== 'boolean') {
        errors.push(`${where}.areaCodePresumption must be true or false`);
      }
      let cap: CapSetting | null = null;
      if (v.cap !== null) {
        const c = v.cap as Record<string, unknown> | undefined;
        if (!obj(c) || !isPositiveInteger(c.messages) || !isPositiveInteger(c.hours)) {
          errors.push(`${where}.cap must be null or { "messages": <whole number ≥ 1>, "hours": <whole number ≥ 1> }`);
        } else {
          cap = { messages: c.messages as number, hours: c.hours as number };
        }
      }
      let extraHolidays: ExtraHoliday[] | undefined;
      if (v.extraHolidays !== undefined) {
        if (!Array.isArray(v.extraHolidays)) {
          errors.push(`${where}.extraHolidays must be a list of { "rule", "name" }`);
        } else {
          extraHolidays = [];
          v.extraHolidays.forEach((h: unknown, i) => {
            if (!obj(h) || typeof h.rule !== 'string' || typeof h.name !== 'string') {
              errors.push(`${where}.extraHolidays[${i}] must be { "rule": "<date-holidays rule>", "name": "..." }`);
            } else if (!isHolidayRule(h.rule)) {
              errors.push(`${where}.extraHolidays[${i}]: "${h.rule}" is not a rule date-holidays understands`);
            } else {
              extraHolidays!.push({ rule: h.rule, name: h.name });
            }
          });
        }
      }
      if (errors.length > before) continue;
      states[code] = {
        ...base,
        noHolidays: v.noHolidays as boolean,
        cap,
        areaCodePresumption: (v.areaCodePresumption as boolean | undefined) ?? false,
        ...(extraHolidays ? { extraHolidays } : {}),
      };
    }
  }

  if (errors.length > 0 || federal === null || unknownRecipient === null) {
    throw new Error(`state rules (src/domain/data/state-rules.json) are malformed:\n  - ${errors.join('\n  - ')}`);
  }
  return {
    version: input.version as string,
    reviewedFrom: input.reviewedFrom as string[],
    federal,
    unknownRecipient,
    states,
  };
}

function isPositiveInteger(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

function isHolidayRule(rule: string): boolean {
  const probe = new Holidays();
  // date-holidays logs unparseable rules to the console; keep the check quiet.
  const error = console.error;
  console.error = () => {};
  try {
    return probe.setHoliday(rule, { name: 'probe', type: 'public' });
  } catch {
    return false;
  } finally {
    console.error = error;
  }
}

/** The shipped table, validated at import. */
export const STATE_RULES: StateRules = parseStateRules(rules);

/**
 * The table as Markdown, for docs/compliance.md (a test keeps the two in step). Regenerate with:
 * node -e "import('./src/domain/state-rules.ts').then((m) => console.log(m.stateRulesMarkdown()))"
 */
export function stateRulesMarkdown(r: StateRules = STATE_RULES): string {
  const hours = (ranges: Array<[string, string]>) => (ranges.length === 0 ? 'none' : ranges.map(([s, e]) => `${s}–${e}`).join(', '));
  const weekdays = (h: BusinessHours) => {
    const days = [h.mon, h.tue, h.wed, h.thu, h.fri].map(hours);
    return days.every((d) => d === days[0]) ? days[0]! : days.join(' / ');
  };
  const lines = [
    `Table version ${r.version}. Hours are the recipient's local time; the federal 08:00–21:00 applies on top everywhere.`,
    '',
    '| State | Mon–Fri | Sat | Sun | Holidays | Cap | Area code presumed | Conf. | Sources |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const code of Object.keys(r.states).sort()) {
    const s = r.states[code]!;
    const holidays = s.noHolidays
      ? `closed${s.extraHolidays?.length ? ` (+ ${s.extraHolidays.map((h) => h.name).join(', ')})` : ''}`
      : '—';
    const cap = s.cap ? `${s.cap.messages} / ${s.cap.hours} h` : '—';
    lines.push(
      `| ${code} ${s.name} | ${weekdays(s.hours)} | ${hours(s.hours.sat)} | ${hours(s.hours.sun)} | ${holidays} | ${cap} | ${s.areaCodePresumption ? 'yes' : '—'} | ${s.confidence} | ${s.sources.join(' ')} |`,
    );
  }
  return lines.join('\n');
}
