import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { EVENT_NAMES, OPERATIONS, channelOf, eventChannelOf, type Outcome } from '../../preload/contract';
import { errorBody, type ControlApi } from '../control/control-api';

/** The few things of an IpcMainInvokeEvent the wrapper reads (so tests can hand in a plain object). */
export type InvokeEvent = Pick<IpcMainInvokeEvent, 'senderFrame'>;

export interface IpcRegistration {
  /** Stops answering and stops forwarding events. */
  dispose(): void;
}

/**
 * Registers every ControlApi operation on its own channel through one wrapper: a call from a frame
 * that is not our renderer is refused before anything runs, the arguments are validated by the
 * ControlApi against the contract's schemas, and every answer is an Outcome (never a throw).
 * Events go to `send` for each of our windows.
 */
export function registerControlIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  control: Pick<ControlApi, 'call' | 'on'>,
  isOurFrame: (url: string) => boolean,
  send: (channel: string, payload: unknown) => void,
): IpcRegistration {
  for (const operation of OPERATIONS) {
    ipcMain.handle(channelOf(operation), (event: InvokeEvent, args: unknown) => answer(control, operation, event, args, isOurFrame));
  }
  const offs = EVENT_NAMES.map((name) => control.on(name, (payload) => send(eventChannelOf(name), payload)));
  return {
    dispose() {
      for (const operation of OPERATIONS) ipcMain.removeHandler(channelOf(operation));
      for (const off of offs) off();
    },
  };
}

export async function answer(
  control: Pick<ControlApi, 'call'>,
  operation: string,
  event: InvokeEvent,
  args: unknown,
  isOurFrame: (url: string) => boolean,
): Promise<Outcome<unknown>> {
  const frame = event.senderFrame;
  // A destroyed frame (null), a subframe, or a page that navigated away is not our window.
  if (!frame || frame.parent !== null || !isOurFrame(frame.url)) {
    return { ok: false, error: { code: 'FORBIDDEN', message: 'This request did not come from the Gatehouse window.' } };
  }
  try {
    return { ok: true, result: await control.call(operation, args, 'window') };
  } catch (err) {
    return { ok: false, ...errorBody(err) };
  }
}
