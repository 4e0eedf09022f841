/** Human progress lines go to stderr, so stdout stays one event per line. */
export function note(text: string): void {
  process.stderr.write(`# ${text}\n`);
}
