/**
 * The bridge between the sandboxed window and main: `window.gatehouse`, one named function per
 * ControlApi operation (each on its own fixed channel) and `on` for events. It is typed by the
 * contract, so an operation added there and not here fails the typecheck. The Electron event
 * object never reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelOf, eventChannelOf, EVENT_NAMES, type EventName } from './channels';
import type { Args, Events, GatehouseBridge, Operation, Outcome, Results } from './contract';

const invoke =
  <O extends Operation>(operation: O) =>
  (args?: Args<O>) =>
    ipcRenderer.invoke(channelOf(operation), args ?? {}) as Promise<Outcome<Results[O]>>;

const bridge: GatehouseBridge = {
  getOverview: invoke('getOverview'),
  getQueue: invoke('getQueue'),
  setPaused: invoke('setPaused'),
  listTokens: invoke('listTokens'),
  createToken: invoke('createToken'),
  updateToken: invoke('updateToken'),
  revokeToken: invoke('revokeToken'),
  getShareInfo: invoke('getShareInfo'),
  shareBundle: invoke('shareBundle'),
  getCaCertificate: invoke('getCaCertificate'),
  listModels: invoke('listModels'),
  pullModel: invoke('pullModel'),
  cancelPull: invoke('cancelPull'),
  deleteModel: invoke('deleteModel'),
  listUpstreams: invoke('listUpstreams'),
  addUpstream: invoke('addUpstream'),
  removeUpstream: invoke('removeUpstream'),
  getTlsStatus: invoke('getTlsStatus'),
  useAcme: invoke('useAcme'),
  getOllamaStatus: invoke('getOllamaStatus'),
  ollamaAction: invoke('ollamaAction'),
  getOllamaLogs: invoke('getOllamaLogs'),
  getMetrics: invoke('getMetrics'),
  listActivity: invoke('listActivity'),
  createInvite: invoke('createInvite'),
  listInvites: invoke('listInvites'),
  revokeInvite: invoke('revokeInvite'),
  getAdminStatus: invoke('getAdminStatus'),
  beginRemoteAdmin: invoke('beginRemoteAdmin'),
  confirmRemoteAdmin: invoke('confirmRemoteAdmin'),
  disableRemoteAdmin: invoke('disableRemoteAdmin'),
  changeAdminPassword: invoke('changeAdminPassword'),
  renewRecoveryCodes: invoke('renewRecoveryCodes'),
  listAdminSessions: invoke('listAdminSessions'),
  revokeAdminSessions: invoke('revokeAdminSessions'),
  getSettings: invoke('getSettings'),
  updateSettings: invoke('updateSettings'),
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event ${String(event)}`);
    const channel = eventChannelOf(event);
    const relay = (_event: IpcRendererEvent, payload: Events[E]) => listener(payload);
    ipcRenderer.on(channel, relay);
    return () => void ipcRenderer.removeListener(channel, relay);
  },
};

contextBridge.exposeInMainWorld('gatehouse', bridge);
