import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** `evt_` + ULID: unique, and sorts by creation time (monotonic within a millisecond). */
export function newEventId(): string {
  return `evt_${nextUlid()}`;
}
