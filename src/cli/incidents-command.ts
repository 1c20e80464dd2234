import type { Command } from 'commander';
import { renderIncidentEvidence } from '../revocation/incident-evidence.js';
import { parseIncidentId } from '../revocation/incident-id.js';
import { renderIncidentDetail, renderIncidentList, summarizeIncident } from '../revocation/incident-summary.js';
import type { CliContext } from './cli-context.js';
import { CLI_NEXT_STEP_WORDS } from './cli-next-step.js';

/** `rotor incidents list|show|close|evidence`: what emergency revocations did, for responders, auditors and the postmortem. */
export function registerIncidentsCommand(program: Command, context: CliContext): void {
  const incidents = program
    .command('incidents')
    .description('Emergency revocations (/revoke): list them, show one, close one with its postmortem, print the evidence record of one');

  incidents
    .command('list')
    .description(
      'Incidents newest first: secret, severity, state, lead, when opened and acknowledged, the emergency rotation, the postmortem',
    )
    .option('--open', 'only incidents still open')
    .option('--json', 'print JSON')
    .action((options: { open?: boolean; json?: boolean }) => {
      const summaries = context.runtime().incidentHistory.list({ open: options.open ?? false });
      if (options.json) context.printJson(summaries);
      else context.print(renderIncidentList(summaries));
    });

  incidents
    .command('show')
    .description(
      'One incident in full: the revocation, the emergency rotation, who was paged and acknowledged, every event with who and when',
    )
    .argument('<incident>', 'an incident id (12 or #12)')
    .option('--json', 'print JSON')
    .action((idText: string, options: { json?: boolean }) => {
      const { record, rotation } = context.runtime().incidentHistory.show(idText);
      if (options.json)
        context.printJson({
          ...summarizeIncident(record.incident, rotation),
          incident: record.incident,
          events: record.events,
          pages: record.pages,
        });
      else context.print(renderIncidentDetail(record, rotation));
    });

  incidents
    .command('close')
    .description(
      'Close an incident with its postmortem link, once its emergency rotation is completed or abandoned and the compromised version is disabled at the store, read back now (as `/revoke close` does in Slack)',
    )
    .argument('<incident>', 'an incident id (12 or #12)')
    .requiredOption('--postmortem <url>', 'the postmortem document or ticket, an http:// or https:// URL')
    .option(
      '--override <reason>',
      'close even though the compromised version is still live at the store, saying why (recorded in the timeline and the audit log)',
    )
    .option('--json', 'print JSON')
    .action(async (idText: string, options: { postmortem: string; override?: string; json?: boolean }) => {
      const id = parseIncidentId(idText);
      const { incident } = await context
        .runtime()
        .revocation.close(context.actor, id, options.postmortem, { override: options.override ?? null });
      if (options.json) context.printJson(incident);
      else
        context.print(
          `Closed incident #${incident.id} of ${incident.secretName}; postmortem: ${incident.postmortemUrl ?? '-'}. The bot redraws the status message in the incident channel at its next follow-up sweep.`,
        );
    });

  incidents
    .command('evidence')
    .description(
      'Print the Markdown evidence record of one incident: timeline, provider actions, pages, sign-off, postmortem, audit chain positions, and its emergency rotation',
    )
    .argument('<incident>', 'an incident id (12 or #12)')
    .option('--json', 'print the record as JSON instead of Markdown')
    .action((idText: string, options: { json?: boolean }) => {
      const evidence = context.runtime().incidentHistory.evidence(idText);
      if (options.json) context.printJson(evidence);
      else context.io.stdout(renderIncidentEvidence(evidence, CLI_NEXT_STEP_WORDS));
    });
}
