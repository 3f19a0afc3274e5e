/**
 * The text of an answer's text deltas, joined. How many deltas carry it is the service's choice: deltas
 * of one part written together go as one.
 */
export function streamedText(chunks: readonly { type: string; delta?: unknown }[]): string {
  return chunks.map((c) => (c.type === 'text-delta' ? String(c.delta) : '')).join('');
}
