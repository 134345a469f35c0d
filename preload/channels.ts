/**
 * IPC channel names, apart from the contract's schemas so the sandboxed preload bundle stays
 * small (it carries no validation library; main validates).
 */
export const EVENT_NAMES = ['ollama', 'pull', 'live', 'changed'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** IPC channel of an operation (`gatehouse:getOverview`) and of an event (`gatehouse:event:pull`). */
export const channelOf = (operation: string) => `gatehouse:${operation}`;
export const eventChannelOf = (event: EventName) => `gatehouse:event:${event}`;
