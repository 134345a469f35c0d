import { GatehouseError } from '../errors';

/** What a failed listen means for a person: which port or address, and what to do. */
export function listenError(err: unknown, host: string, port: number): GatehouseError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new GatehouseError(
      'PORT_IN_USE',
      `Port ${port} on ${host} is already in use.`,
      'Another Gatehouse may be running (check with: gatehouse status), or pick another port with --port.',
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new GatehouseError('ADDRESS_NOT_AVAILABLE', `${host} is not an address of this computer.`, 'Use 0.0.0.0 for all interfaces, or one of its own addresses.');
  }
  if (code === 'EACCES') {
    return new GatehouseError('PORT_FORBIDDEN', `This user may not listen on port ${port}.`, 'Use a port above 1023.');
  }
  return new GatehouseError('LISTEN_FAILED', `Could not listen on ${host}:${port}: ${(err as Error).message}`);
}
