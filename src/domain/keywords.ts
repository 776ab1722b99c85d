export type KeywordIntent = 'opt_out' | 'opt_in' | 'help';

// The union of what Twilio, Telnyx and AWS treat as keywords (compliance.md 1.3), so we agree
// with whichever carrier sits in front of us. ARRÊT is there for French-Canadian keyboards.
export const OPT_OUT_KEYWORDS: readonly string[] = [
  'stop', 'stopall', 'stop all', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout',
  'opt out', 'opt-out', 'remove', 'arret', 'arrêt',
];
export const OPT_IN_KEYWORDS: readonly string[] = ['start', 'unstop', 'yes'];
export const HELP_KEYWORDS: readonly string[] = ['help', 'info'];
/** The reply words the FCC holds to be a reasonable revocation per se (FCC 24-24, compliance.md 1.2). */
export const FCC_PER_SE_OPT_OUT_WORDS: readonly string[] = ['stop', 'quit', 'end', 'revoke', 'opt out', 'cancel', 'unsubscribe'];

const KEYWORDS = new Map<string, KeywordIntent>([
  ...OPT_OUT_KEYWORDS.map((k) => [k, 'opt_out'] as const),
  ...OPT_IN_KEYWORDS.map((k) => [k, 'opt_in'] as const),
  ...HELP_KEYWORDS.map((k) => [k, 'help'] as const),
]);

// Punctuation, symbols (emoji are symbols), separators, invisible formatting characters and
// the emoji presentation / keycap marks that ride along with emoji.
const EDGE = /^[\p{P}\p{S}\p{Z}\p{C}\s\uFE0F\u20E3]+|[\p{P}\p{S}\p{Z}\p{C}\s\uFE0F\u20E3]+$/gu;

/** Exact keyword messages only: "stop" in a sentence ("won't stop leaking") is not a keyword. */
export function classifyKeyword(body: string): KeywordIntent | null {
  const normalized = body.normalize('NFKC').toLowerCase().replace(EDGE, '').replace(/\s+/g, ' ');
  return KEYWORDS.get(normalized) ?? null;
}

export function buildOptOutConfirmation(businessName: string): string {
  return `You're unsubscribed from ${businessName.trim()} texts and will get no more messages. Reply START to resubscribe.`;
}

export function buildOptInConfirmation(businessName: string): string {
  return `You're resubscribed to ${businessName.trim()} texts. Reply STOP to opt out.`;
}

/** Carriers expect the name, a way to reach a person, the rates notice and the opt-out. */
export function buildHelpReply(a: { businessName: string; contactLine: string }): string {
  return (
    `${a.businessName.trim()}: these texts are replies about your call or inquiry. ` +
    `To reach a person: ${a.contactLine.trim().replace(/\.+$/, '')}. Msg & data rates may apply. Reply STOP to opt out.`
  );
}
