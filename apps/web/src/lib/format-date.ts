const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });

/** 24-hour "14:05": short, and not ambiguous the way "2:05" is. */
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function parse(iso: string): Date | undefined {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatDateTime(iso: string): string {
  const date = parse(iso);
  return date === undefined ? iso : dateTimeFormat.format(date);
}

export function formatDate(iso: string): string {
  const date = parse(iso);
  return date === undefined ? iso : dateFormat.format(date);
}

export function formatTime(iso: string): string {
  const date = parse(iso);
  return date === undefined ? iso : timeFormat.format(date);
}

/** Whether `iso` falls on today's date here, so a time alone names it. */
export function isSameDay(iso: string, now = new Date()): boolean {
  const date = parse(iso);
  return date !== undefined && date.toDateString() === now.toDateString();
}
