/** Polls `check` every `pollMs` until it holds; throws once `timeoutMs` has passed without it. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
