import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/logging/logger.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import type { FakeSlackApi } from '../fakes/fake-slack-api.js';
import type { TempStore } from './temp-db.js';

/** A runtime over a test's store whose Slack is the fake Web API, with no providers and a run-time bot token. */
export function fakeSlackRuntime(store: TempStore, slack: FakeSlackApi, options: Partial<RuntimeOptions> = {}): Runtime {
  return createRuntime({
    db: store.db,
    clock: store.clock,
    policy: store.policy,
    logger: createLogger('silent'),
    providers: { registry: createProviderRegistry({}), close: () => undefined },
    slack: { botToken: ['xoxb', randomBytes(6).toString('hex')].join('-'), apiUrl: slack.apiUrl },
    ...options,
  });
}
