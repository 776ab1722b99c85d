// Settings: every setting the API has, one section at a time (/settings/<section>), phone first.
// Agents see the settings read-only (the server refuses their changes too).
import type { Template } from '../api.ts';
import { useResource } from '../hooks.ts';
import { Link } from '../router.tsx';
import { ErrorAlert } from '../ui/Field.tsx';
import { ReadOnlyNote } from './settings/common.tsx';
import { BusinessSettings } from './settings/Business.tsx';
import { ComplianceSettings } from './settings/Compliance.tsx';
import { SequenceSettings, type Sequence } from './settings/Sequences.tsx';
import { IntegrationSettings } from './settings/Integrations.tsx';
import { LineSettings } from './settings/Lines.tsx';
import { TeamSettings, type TeamMember } from './settings/Team.tsx';
import { TemplateSettings } from './settings/Templates.tsx';
import { SavedReplySettings } from './settings/SavedReplies.tsx';
import type { AccountSettings } from './settings/types.ts';

const SECTIONS: Array<{ id: string; name: string }> = [
  { id: 'business', name: 'Business' },
  { id: 'templates', name: 'Text-back templates' },
  { id: 'saved-replies', name: 'Saved replies' },
  { id: 'compliance', name: 'Compliance' },
  { id: 'follow-ups', name: 'Follow-up sequences' },
  { id: 'team', name: 'Team and alerts' },
  { id: 'api', name: 'API keys and webhooks' },
  { id: 'lines', name: 'Lines and carriers' },
];

export function Settings({ section }: { section: string | null }) {
  const current = SECTIONS.find((s) => s.id === section) ?? (section ? null : SECTIONS[0]!);
  return (
    <main id="main" className="page settings">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <div className="settings-layout">
        <nav aria-label="Settings sections" className="settings-nav">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.id}>
                <Link to={`/settings/${s.id}`} aria-current={current?.id === s.id ? 'page' : undefined}>
                  {s.name}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings-body">
          <ReadOnlyNote ownEntryEditable={current?.id === 'team'} />
          {current ? <SectionBody id={current.id} /> : <p>There is no settings section called “{section}”. Pick one from the list.</p>}
        </div>
      </div>
    </main>
  );
}

function SectionBody({ id }: { id: string }) {
  if (id === 'business' || id === 'compliance') return <AccountSection id={id} />;
  if (id === 'templates') return <TemplatesSection />;
  if (id === 'saved-replies') return <SavedReplySettings />;
  if (id === 'follow-ups') return <SequencesSection />;
  if (id === 'team') return <TeamSection />;
  if (id === 'api') return <IntegrationSettings />;
  if (id === 'lines') return <LineSettings />;
  return null;
}

function AccountSection({ id }: { id: 'business' | 'compliance' }) {
  const account = useResource<{ account: AccountSettings }>('/account');
  if (account.error && !account.data) return <ErrorAlert message={account.error} />;
  if (!account.data) return <p className="muted" role="status">Loading…</p>;
  // Keyed by the section so each form starts from what is stored.
  return id === 'business' ? <BusinessSettings key="business" account={account.data.account} onSaved={account.reload} /> : <ComplianceSettings key="compliance" account={account.data.account} onSaved={account.reload} />;
}

function TemplatesSection() {
  const templates = useResource<{ templates: Template[] }>('/templates');
  if (templates.error && !templates.data) return <ErrorAlert message={templates.error} />;
  if (!templates.data) return <p className="muted" role="status">Loading…</p>;
  return <TemplateSettings templates={templates.data.templates} onSaved={templates.reload} />;
}

function SequencesSection() {
  const sequences = useResource<{ sequences: Sequence[] }>('/sequences');
  if (sequences.error && !sequences.data) return <ErrorAlert message={sequences.error} />;
  if (!sequences.data) return <p className="muted" role="status">Loading…</p>;
  return <SequenceSettings sequences={sequences.data.sequences} onSaved={sequences.reload} />;
}

function TeamSection() {
  const team = useResource<{ members: TeamMember[] }>('/team');
  if (team.error && !team.data) return <ErrorAlert message={team.error} />;
  if (!team.data) return <p className="muted" role="status">Loading…</p>;
  return <TeamSettings members={team.data.members} onChanged={team.reload} />;
}
