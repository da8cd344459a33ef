import { runService } from '@msi/service-kit';
import { loadAgentSettings } from './agent-settings.js';
import { openAgent } from './open-agent.js';

/**
 * Runs the agent as a daemon through the service runner (exit 2 naming each problem of the config
 * file, 0 on SIGTERM after the spool and the client are closed). Never returns.
 */
export function runAgentService(configFile: string): Promise<never> {
  return runService({
    name: 'agent',
    load: (env) => loadAgentSettings(configFile, env),
    async start(ctx, settings) {
      const open = await openAgent({ ...settings, log: ctx.log, nowMs: ctx.nowMs });
      const summary = await open.agent.start();
      ctx.log.info('agent up', {
        host: settings.host,
        config: configFile,
        watches: open.agent.watches,
        ...summary,
      });
      return { stop: () => open.close() };
    },
  });
}
