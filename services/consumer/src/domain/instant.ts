/** `Date#toISOString`'s own spelling, which the producer writes. */
const NORMAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * One spelling of each instant (`Date#toISOString`), so the view compares and sorts instants
 * as strings. Takes what the event's schema has checked is an instant (a real date and time,
 * UTC). One already in that spelling is returned as it is: parsing and printing it again gives
 * the same string, at the cost of a Date and a string per event.
 */
export function normalInstant(instant: string): string {
  return NORMAL.test(instant) ? instant : new Date(instant).toISOString();
}
