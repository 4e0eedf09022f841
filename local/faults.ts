import type { FailoverStore } from '../lambdas/core/interfaces.ts';

/** The table as seen through a broken network: every call fails while `down()` says so. */
export function unreachableWhen(store: FailoverStore, down: () => boolean): FailoverStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (down()) return Promise.reject(new Error('table unreachable (simulated)'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
