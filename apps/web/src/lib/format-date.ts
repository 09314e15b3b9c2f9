const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });

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
