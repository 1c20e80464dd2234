/**
 * The bot scope each Web API method Rotor calls needs, and why Rotor calls it. manifest.yml
 * asks for exactly the scopes this table yields for the methods the code calls, plus
 * FEATURE_SCOPES; a test scans src/ and checks both directions. A feature that calls a new
 * method adds it here (and its scope to the manifest) or the test fails.
 */
export const WEB_API_METHOD_SCOPES: Readonly<Record<string, { scopes: readonly string[]; why: string }>> = {
  'auth.test': { scopes: [], why: 'verifies the bot token at start-up (and names its workspace)' },
  'bots.info': { scopes: ['users:read'], why: "learns the bot's app id at start-up, so requests for another app are refused" },
  'chat.postMessage': { scopes: ['chat:write'], why: 'DMs (new owner, form confirmations, reminders) and channel announcements' },
  'chat.postEphemeral': { scopes: ['chat:write'], why: 'replies only the caller sees' },
  'chat.update': { scopes: ['chat:write'], why: 'updates a message Rotor posted (live status)' },
  'users.info': { scopes: ['users:read'], why: 'checks a mentioned user is a real, active person; reads their time zone for reminders' },
  'views.open': { scopes: [], why: 'opens the add/edit and rotation modals (needs only a trigger_id)' },
  'views.update': { scopes: [], why: 'updates an open modal' },
  'views.push': { scopes: [], why: 'pushes a step onto an open modal' },
  'views.publish': { scopes: [], why: 'publishes the App Home tab' },
  'conversations.open': { scopes: ['im:write'], why: 'opens a DM channel with a person' },
  'conversations.history': {
    scopes: ['im:history', 'channels:history', 'groups:history'],
    why: 'reads the recent messages of a DM or channel Rotor posted in (the announcement channel when a DM is closed, a status message’s channel) to find a post a crash interrupted before sending it again',
  },
  'conversations.replies': {
    scopes: ['channels:history', 'groups:history'],
    why: 'reads the thread of an incident status message to find an event reply a crash interrupted before posting it again',
  },
  'functions.completeSuccess': {
    scopes: [],
    why: 'completes a Workflow Builder step of Rotor’s with its outputs (a rotation that completed, a secret’s status)',
  },
  'functions.completeError': {
    scopes: [],
    why: 'fails a Workflow Builder step of Rotor’s, saying why (refused, unknown secret, rotation abandoned)',
  },
  'usergroups.list': {
    scopes: ['usergroups:read'],
    why: 'learns who is in the user groups a secret’s access list, a policy team or a role list names, so their members may read those secrets and hold those roles',
  },
  'chat.getPermalink': { scopes: [], why: 'links to an open incident’s status message when /revoke is run again for its secret' },
};

/** Scopes that come from features rather than Web API calls. */
export const FEATURE_SCOPES: Readonly<Record<string, string>> = {
  commands: 'registers the /rotate, /secrets and /revoke slash commands',
};
