// How a text is counted, the same way as the server (which has the last word via /messages/measure):
// GSM-7 when every character is in the GSM 03.38 alphabet (the extension table counts twice),
// otherwise UCS-2. One segment holds 160 GSM-7 / 70 UCS-2 characters; split texts 153 / 67.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface Measure {
  characters: number;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  nonGsmCharacters: string[];
}

export function measure(text: string): Measure {
  const nonGsm: string[] = [];
  let units = 0;
  for (const ch of text) {
    if (basic.has(ch)) units += 1;
    else if (extended.has(ch)) units += 2;
    else if (!nonGsm.includes(ch)) nonGsm.push(ch);
  }
  if (nonGsm.length === 0) {
    const segments = units === 0 ? 0 : units <= 160 ? 1 : Math.ceil(units / 153);
    return { characters: [...text].length, encoding: 'GSM-7', segments, nonGsmCharacters: [] };
  }
  const codeUnits = text.length;
  const segments = codeUnits <= 70 ? 1 : Math.ceil(codeUnits / 67);
  return { characters: [...text].length, encoding: 'UCS-2', segments, nonGsmCharacters: nonGsm };
}

export function measureLine(m: { characters: number; segments: number; encoding: string }): string {
  return `${m.characters} ${m.characters === 1 ? 'character' : 'characters'} · ${m.segments} ${m.segments === 1 ? 'segment' : 'segments'} · ${m.encoding}`;
}
