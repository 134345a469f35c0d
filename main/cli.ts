import { adminCommand, ADMIN_USAGE } from './cli/admin';
import { configCommand, CONFIG_USAGE } from './cli/config';
import { inviteCommand, INVITE_USAGE } from './cli/invite';
import { modelsCommand, MODELS_USAGE } from './cli/models';
import { ollamaCommand, OLLAMA_USAGE } from './cli/ollama';
import { auditCommand, usageCommand, USAGE_USAGE } from './cli/usage';
import { tokenCommand, TOKEN_USAGE } from './cli/token';
import { serveCommand } from './cli/serve';
import { pauseCommand, statusCommand } from './cli/state';
import { tlsCommand, TLS_USAGE } from './cli/tls';
import type { Output } from './cli/context';
import { describeError, GatehouseError, UsageError } from './errors';

const USAGE = `Gatehouse: a safe door to your local Ollama.

Usage: gatehouse <command> [options]   (every command takes --data-dir DIR)

  serve [--host 0.0.0.0] [--port 11443] [--upstream http://127.0.0.1:11434] [--no-tls [--insecure]]
        [--no-supervise]            (by default serve also starts Ollama and keeps it running;
                                     with --no-supervise it only forwards to it)
  admin link|enable-remote|disable-remote|reset-totp|sessions   the dashboard: sign-in links, remote sign-in
  invite create|list|revoke         one-time links that give a teammate a token
  token create|list|update|revoke   manage API tokens (gatehouse token for details)
  pause | resume                    stop or allow use from other computers
  status [--json]                   what is running, and where
  tls ca | tls fingerprint          the certificate clients trust
  config [get KEY | set KEY VALUE]  settings
  usage | audit                     who used what; what changed; security events
  models list|pull|rm               the local Ollama's models
  ollama status [--json]            is Ollama running, who runs it, is it exposed

${TOKEN_USAGE}

${TLS_USAGE}

${CONFIG_USAGE}

${USAGE_USAGE}

${MODELS_USAGE}

${OLLAMA_USAGE}

${ADMIN_USAGE}

${INVITE_USAGE}

Environment: GATEHOUSE_DATA_DIR, GATEHOUSE_HOST, GATEHOUSE_PORT, GATEHOUSE_UPSTREAM.`;

/** Runs one command; returns the exit code: 0 done, 1 failed, 2 bad usage. Never exits itself. */
export async function runCli(argv: string[], io: Output): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, io);
      case 'token':
        return await tokenCommand(rest, io);
      case 'pause':
        return await pauseCommand(rest, io, true);
      case 'resume':
        return await pauseCommand(rest, io, false);
      case 'status':
        return await statusCommand(rest, io);
      case 'tls':
        return await tlsCommand(rest, io);
      case 'config':
        return await configCommand(rest, io);
      case 'usage':
        return usageCommand(rest, io);
      case 'audit':
        return auditCommand(rest, io);
      case 'models':
        return await modelsCommand(rest, io);
      case 'invite':
        return await inviteCommand(rest, io);
      case 'admin':
        return await adminCommand(rest, io);
      case 'ollama':
        return await ollamaCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}". Run gatehouse help for the list.`);
    }
  } catch (err) {
    io.err(`gatehouse: ${describeError(err)}`);
    if (err instanceof UsageError) return 2;
    if (!(err instanceof GatehouseError) && process.env.GATEHOUSE_DEBUG) io.err((err as Error).stack ?? '');
    return 1;
  }
}

if (require.main === module) {
  const io: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };
  void runCli(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
    // serve leaves nothing behind once closed; other commands have nothing pending either.
    if (code !== 0 || process.argv[2] === 'serve') setImmediate(() => process.exit(code));
  });
}
