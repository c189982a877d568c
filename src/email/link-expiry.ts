const FORMAT = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** When an emailed link stops working, as a reader anywhere can tell: `9 March 2026 at 14:05 UTC`. */
export function linkExpiry(at: Date): string {
  return `${FORMAT.format(at)} UTC`;
}
