// Settings → API keys and webhooks: API keys (list, create → shown once, revoke) and outgoing
// webhook endpoints (add, change, on/off, test, new secret, delete, delivery log, redeliver).
import { ApiKeys } from './ApiKeys.tsx';
import { Webhooks } from './Webhooks.tsx';

export function IntegrationSettings() {
  return (
    <div className="settings-stack">
      <ApiKeys />
      <Webhooks />
    </div>
  );
}
