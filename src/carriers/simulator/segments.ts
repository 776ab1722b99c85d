// How many SMS segments a body takes, as carriers bill it. The simulator and the carrier fakes
// report it the way Twilio's num_segments and Telnyx's parts do; the count comes from the one
// segment calculator the project uses (Twilio's own, through domain/templates.ts).
import { measureText } from '../../domain/templates.ts';

export function countSegments(body: string): number {
  return measureText(body).segments;
}
