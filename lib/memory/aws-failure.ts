/**
 * Placeholder for the AWS failure → plain-language advice mapping, written on another branch; that
 * version replaces this file at merge. Same signature; here the message is passed through unchanged.
 */
export function explainAwsFailure(
  error: unknown,
  _where: { tableName: string; region?: string; endpoint?: string; action?: string },
): Error {
  return new Error(error instanceof Error ? error.message : String(error));
}
