/** Names by Slack member id, as the people cache holds them (see RecipientDirectoryRepo.names). */
export type PeopleNames = Readonly<Record<string, string>>;

/**
 * How records for people outside Slack name a person: `Sam Rivera (U0123ABCD)`, or the id alone
 * when Slack never named them (and for `cli:<user>` and `rotor`, which are not Slack members).
 */
export function personLabel(id: string, names: PeopleNames): string {
  const name = Object.hasOwn(names, id) ? names[id] : undefined;
  return name ? `${name} (${id})` : id;
}
