/**
 * The SDK clients this container built. A client's first request resolves its region and loads
 * and runs the credential provider chain; a warm-up does that ahead (lambdas/runtime/aws/step.ts),
 * so a failover's first call of each step does not pay it.
 */
interface SdkClient {
  readonly config: { readonly region: () => Promise<string>; readonly credentials: () => Promise<unknown> };
  destroy(): void;
}

const clients = new Set<SdkClient>();

export function registered<T extends SdkClient>(client: T): T {
  clients.add(client);
  return client;
}

/** A client a changed environment replaced (env-cache.ts): its sockets closed, no longer primed. */
export function released(client: SdkClient): void {
  clients.delete(client);
  client.destroy();
}

/** Resolves the region and the credentials of every client built so far. */
export async function primeClients(): Promise<void> {
  await Promise.all([...clients].map(async (client) => Promise.all([client.config.region(), client.config.credentials()])));
}
