// What a carrier's error code means for the owner, and what Ringback does about it.
// Codes from ../shared/reference/providers.md §2.3 (Twilio) and §3.6 (Telnyx).

export type CarrierErrorEffect =
  /** The recipient opted out at the carrier: suppress the number for the account. */
  | 'opt_out'
  /** The number cannot exist or is not in service: mark the contact invalid. */
  | 'invalid_number'
  /** The number cannot take texts (landline and the like): mark the contact not mobile. */
  | 'not_mobile'
  | 'none';

export interface CarrierErrorInfo {
  explanation: string;
  effect: CarrierErrorEffect;
  /** A problem with the sender or account that will hit every text: alert the owner, once. */
  systemic: boolean;
}

const TABLE: Record<string, CarrierErrorInfo> = {
  // Twilio, at send time
  '20003': { explanation: 'the carrier rejected the account credentials (check the Account SID and Auth Token)', effect: 'none', systemic: true },
  '21211': { explanation: 'the recipient number is not a valid phone number', effect: 'invalid_number', systemic: false },
  '21408': { explanation: 'texting this country is not enabled on the carrier account', effect: 'none', systemic: false },
  '21606': { explanation: 'the line\'s number cannot send texts (it is not SMS-capable at the carrier)', effect: 'none', systemic: true },
  '21608': { explanation: 'the carrier account is a trial that can only text verified numbers', effect: 'none', systemic: true },
  '21610': { explanation: 'the recipient replied STOP to this number earlier; the carrier blocks texts until they reply START', effect: 'opt_out', systemic: false },
  '21611': { explanation: 'the line\'s outgoing queue is full (over 10 hours of texts waiting)', effect: 'none', systemic: false },
  '21612': { explanation: 'the carrier cannot route a text from this line to that number', effect: 'none', systemic: false },
  '21614': { explanation: 'the recipient number is not a mobile number and cannot receive texts', effect: 'not_mobile', systemic: false },
  '21635': { explanation: 'the recipient number is a landline', effect: 'not_mobile', systemic: false },
  '20429': { explanation: 'the carrier asked us to slow down (too many requests)', effect: 'none', systemic: false },
  // Twilio, delivery (status callbacks)
  '30001': { explanation: 'the carrier\'s queue overflowed', effect: 'none', systemic: false },
  '30003': { explanation: 'the recipient\'s phone was unreachable (switched off or out of signal)', effect: 'none', systemic: false },
  '30004': { explanation: 'the text was blocked (the recipient blocked it, opted out, or a carrier filter stopped it)', effect: 'none', systemic: false },
  '30005': { explanation: 'the recipient number is unknown or no longer in service', effect: 'invalid_number', systemic: false },
  '30006': { explanation: 'the recipient number is a landline or its carrier cannot take texts', effect: 'not_mobile', systemic: false },
  '30007': { explanation: 'a carrier filtered the text as spam; review the wording and the number\'s registration', effect: 'none', systemic: true },
  '30008': { explanation: 'the carrier reported an unknown error', effect: 'none', systemic: false },
  '30022': { explanation: 'the US 10DLC sending rate for this number\'s campaign was exceeded', effect: 'none', systemic: false },
  '30032': { explanation: 'this toll-free number is not verified for texting', effect: 'none', systemic: true },
  '30034': { explanation: 'this number is not registered for business texting in the US (A2P 10DLC): carriers drop its texts until it is', effect: 'none', systemic: true },
  '30450': { explanation: 'the carrier\'s fraud protection held the text for a while', effect: 'none', systemic: false },
  // Telnyx
  '10009': { explanation: 'the carrier rejected the API key', effect: 'none', systemic: true },
  '10011': { explanation: 'the carrier asked us to slow down (too many requests)', effect: 'none', systemic: false },
  '10016': { explanation: 'the recipient number is not in +E.164 form', effect: 'invalid_number', systemic: false },
  '40001': { explanation: 'the recipient number cannot take texts (landline or not routable)', effect: 'not_mobile', systemic: false },
  '40002': { explanation: 'a carrier spam filter blocked the text for now', effect: 'none', systemic: false },
  '40003': { explanation: 'a carrier spam filter blocked the text for good; review the wording and the number\'s registration', effect: 'none', systemic: true },
  '40004': { explanation: 'the recipient\'s carrier rejected the text', effect: 'none', systemic: false },
  '40005': { explanation: 'the text expired before it could be delivered', effect: 'none', systemic: false },
  '40006': { explanation: 'the recipient\'s carrier was unavailable', effect: 'none', systemic: false },
  '40008': { explanation: 'the text could not be delivered', effect: 'none', systemic: false },
  '40300': { explanation: 'the recipient replied STOP to this number earlier; the carrier blocks texts until they reply START', effect: 'opt_out', systemic: false },
  // Ringback's own and the simulator's
  landline: { explanation: 'the recipient number is a landline and cannot receive texts', effect: 'not_mobile', systemic: false },
  number_not_found: { explanation: 'the line\'s number is not on the carrier account', effect: 'none', systemic: true },
};

export function describeCarrierError(code: string | null | undefined): CarrierErrorInfo | null {
  if (!code) return null;
  return TABLE[code] ?? null;
}

/** The text stored on a failed message: the code and what it means, in plain words. */
export function explainCarrierError(code: string | null | undefined, carrierMessage?: string): string {
  const info = describeCarrierError(code);
  if (info) return `${code}: ${info.explanation}`;
  if (code) return `${code}: ${carrierMessage ?? 'the carrier reported an error without an explanation'}`;
  return carrierMessage ?? 'the carrier reported a failure without a code';
}
