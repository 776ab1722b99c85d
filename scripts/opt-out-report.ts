// `node scripts/opt-out-report.ts`: how classifyInbound() does on the labelled corpus
// (src/domain/data/opt-out-corpus.json): confusion matrix, per-kind counts, the false-opt-out
// rate on ordinary service messages and every opt-out it missed. Exits 1 on a false opt-out or
// an opt-out that fell through to 'message'.
import { readFileSync } from 'node:fs';
import { CASE_KINDS, evaluate, INTENTS, normalizeInbound } from '../src/domain/opt-out.ts';
import type { LabelledCase, Outcome } from '../src/domain/opt-out.ts';

const corpus = JSON.parse(readFileSync(new URL('../src/domain/data/opt-out-corpus.json', import.meta.url), 'utf8')) as { cases: LabelledCase[] };
const r = evaluate(corpus.cases);
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const out: string[] = [];

out.push(`Opt-out classifier on ${corpus.cases.length} labelled cases`, '');
out.push('Confusion matrix (rows: label, columns: classified as)');
const w = 11;
out.push(['label \\ got'.padEnd(w), ...INTENTS.map((i) => i.padStart(w)), 'total'.padStart(w)].join(''));
for (const label of INTENTS) {
  const row = r.confusion[label];
  const total = INTENTS.reduce((n, i) => n + row[i], 0);
  out.push([label.padEnd(w), ...INTENTS.map((i) => String(row[i]).padStart(w)), String(total).padStart(w)].join(''));
}
out.push('', 'Per kind (correct / cases)');
for (const kind of CASE_KINDS) out.push(`  ${kind.padEnd(9)} ${r.perKind[kind].correct} / ${r.perKind[kind].cases}`);

out.push('');
out.push(`False-opt-out rate (service or message cases classified opt_out): ${r.falseOptOuts.length} / ${r.serviceOrMessageCases} = ${pct(r.falseOptOutRate)}`);
out.push(`Missed opt-outs: ${r.missedOptOuts.length} / ${r.optOutCases} = ${pct(r.missRate)} (fell to 'message': ${r.hardMisses.length})`);
out.push(`Messages held back as ambiguous (cautious): ${r.confusion.message.ambiguous}`);

const list = (title: string, items: Outcome[]): void => {
  if (items.length === 0) return;
  out.push('', title);
  for (const o of items) out.push(`  ${JSON.stringify(o.case.text)} [${o.case.label}/${o.case.kind}] → ${o.got.intent}${'rule' in o.got ? ` (${o.got.rule})` : ''}  ~ ${normalizeInbound(o.case.text)}`);
};
list('False opt-outs:', r.falseOptOuts);
list('Missed opt-outs:', r.missedOptOuts);
list('Other mismatches:', r.mismatches.filter((o) => !r.falseOptOuts.includes(o) && !r.missedOptOuts.includes(o)));

const byRule = new Map<string, number>();
for (const o of r.outcomes) if ('rule' in o.got) byRule.set(o.got.rule, (byRule.get(o.got.rule) ?? 0) + 1);
out.push('', 'Cases per rule');
for (const [rule, n] of [...byRule].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out.push(`  ${String(n).padStart(4)}  ${rule}`);

console.log(out.join('\n'));
process.exitCode = r.falseOptOuts.length > 0 || r.hardMisses.length > 0 ? 1 : 0;
