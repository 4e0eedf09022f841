/**
 * aws-local-stepfunctions 3 uses Promise.withResolvers, which Node 22 has and Node 20 lacks.
 * Installed before the runner starts; a no-op where the runtime already provides it.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const PromiseWith = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof PromiseWith.withResolvers !== 'function') {
  PromiseWith.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
