// Prometheus metrics (prom-client). One registry per Ringback instance so tests can run several.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  missedCallToSendSeconds: Histogram<'carrier'>;
  decisions: Counter<'decision' | 'reason'>;
  sendResults: Counter<'result'>;
  inboundMessages: Counter<'intent'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ringback_' });
  return {
    registry,
    missedCallToSendSeconds: new Histogram({
      name: 'ringback_missed_call_to_send_request_seconds',
      help: 'Time from recording a missed call to handing its text-back to the carrier',
      labelNames: ['carrier'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'ringback_text_back_decisions_total',
      help: 'Text-back decisions by outcome and reason',
      labelNames: ['decision', 'reason'],
      registers: [registry],
    }),
    sendResults: new Counter({
      name: 'ringback_message_send_results_total',
      help: 'Outbound send attempts by result (sent, retry, failed, expired, canceled)',
      labelNames: ['result'],
      registers: [registry],
    }),
    inboundMessages: new Counter({
      name: 'ringback_inbound_messages_total',
      help: 'Inbound texts by what they asked for (message, opt_out, opt_in, help)',
      labelNames: ['intent'],
      registers: [registry],
    }),
  };
}
