// Stub: filled in by the follow-through work (issue 6).
import type { ModuleRegistry, ServiceContext } from './context.ts';

export function installOwnerAlerts(_ctx: ServiceContext, _reg: ModuleRegistry): void {}
