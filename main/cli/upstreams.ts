import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { UpstreamView } from '../../preload/types';
import { UsageError } from '../errors';
import { withControl, type Output } from './context';
import { table, when } from './format';
import { action, command, dataDirOption, type Ran } from './program';

interface AddFlags {
  dataDir?: string;
  name?: string;
  slots?: string;
  token?: string;
  ca?: string;
  insecure?: boolean;
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read the CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
}

async function add(url: string | undefined, values: AddFlags, io: Output): Promise<number> {
  if (!url) throw new UsageError('Say where the Ollama host is: gatehouse upstreams add https://gpu2.lan:11443 --name closet');
  const slots = values.slots === undefined ? undefined : Number(values.slots);
  if (slots !== undefined && !Number.isInteger(slots)) throw new UsageError(`--slots takes a whole number, not "${values.slots}".`);
  const args = {
    url,
    insecure: values.insecure === true,
    ...(values.name ? { name: values.name } : {}),
    ...(slots !== undefined ? { slots } : {}),
    ...(values.token ? { token: values.token } : {}),
    ...(values.ca ? { caPem: readCa(values.ca) } : {}),
  };
  const { upstream, warning } = await withControl(values.dataDir, (control) => control.call('addUpstream', args), {}, io);
  if (warning) io.err(`Warning: ${warning}`);
  io.out(`Added the Ollama host "${upstream.name}" (${upstream.url}): ${describe(upstream)}`);
  return 0;
}

function describe(h: UpstreamView): string {
  if (h.state === 'down') return `down. ${h.error ?? ''}`;
  if (h.state === 'unknown') return 'not checked yet.';
  return `up, ${h.models.length} model(s)${h.loaded.length ? `, ${h.loaded.length} loaded` : ''}.`;
}

async function list(values: { dataDir?: string; json?: boolean }, io: Output): Promise<number> {
  const hosts = await withControl(values.dataDir, async (control) => control.call('listUpstreams', {}), {}, io);
  if (values.json) return io.out(JSON.stringify(hosts)), 0;
  io.out(table(['NAME', 'URL', 'KIND', 'STATE', 'SINCE', 'MODELS', 'LOADED', 'SLOTS'], hosts.map((h) => [
    h.name, h.url, h.kind, h.state, h.since ? when(h.since) : '-', String(h.models.length), String(h.loaded.length), h.kind === 'local' ? 'setting' : h.slots === 0 ? 'no limit' : String(h.slots),
  ])));
  for (const h of hosts) if (h.error) io.out(`${h.name}: ${h.error}`);
  return 0;
}

/** `gatehouse upstreams add | list | remove`: the Ollama hosts requests are routed to by model. */
export function upstreamsGroup(io: Output, ran: Ran): Command {
  const group = command('upstreams', 'the Ollama hosts behind this Gatehouse (other GPU machines)');
  group
    .command('add')
    .description("another machine's Ollama, or another Gatehouse (with --token)")
    .argument('[url]', 'https://gpu2.lan:11443, or http://10.0.0.7:11434 with --insecure')
    .addOption(dataDirOption())
    .option('--name <name>', 'what --on and the window call it (default: from the address)')
    .option('--slots <n>', 'requests it runs at once, like its OLLAMA_NUM_PARALLEL (default 4; 0: no limit)')
    .option('--token <gth_…>', 'the token another Gatehouse gave this one (sent as a bearer, never logged)')
    .option('--ca <file>', "the other Gatehouse's CA file, when its certificate comes from its own CA")
    .option('--insecure', 'allow plain http, to a loopback or private address only')
    .action(action(ran, (url: string | undefined, values: AddFlags) => add(url, values, io)));
  group
    .command('list')
    .description('every host, whether it is up, and what it has')
    .addOption(dataDirOption())
    .option('--json', 'as JSON')
    .action(action(ran, (values: { dataDir?: string; json?: boolean }) => list(values, io)));
  group
    .command('remove')
    .description('stop sending requests to a host (its models stay there)')
    .argument('[name]', 'the host, as upstreams list names it')
    .addOption(dataDirOption())
    .action(
      action(ran, async (name: string | undefined, values: { dataDir?: string }) => {
        if (!name) throw new UsageError('Say which host: gatehouse upstreams remove closet');
        await withControl(values.dataDir, (control) => control.call('removeUpstream', { name }), {}, io);
        io.out(`Removed the Ollama host "${name}". Its models stay on that machine.`);
        return 0;
      }),
    );
  return group;
}
