// An error's message for a log field or a wrapping error's text (anything thrown: not always an Error).
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
