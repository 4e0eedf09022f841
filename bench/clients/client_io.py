"""What every redis-py client application (redis_py_client.py, redis_py_dns_client.py) shares with the
process that runs it (bench/app-process.ts): it stops when stdin closes, reports failures at most every
100 ms, and writes one key at a time, `ack <n>` per acknowledged write."""
import sys
import threading
import time

stopped = threading.Event()


def _watch_stdin():
    for _ in sys.stdin:
        pass
    stopped.set()


threading.Thread(target=_watch_stdin, daemon=True).start()
_last_fail = 0.0


def fail(error):
    global _last_fail
    if time.monotonic() - _last_fail >= 0.1:
        _last_fail = time.monotonic()
        print(f'fail {type(error).__name__}: {str(error)[:120]}', flush=True)


def write_loop(client, retry_pause=0.002):
    n = 0
    while not stopped.is_set():
        try:
            client.set(f'client:{n}', n)
            print(f'ack {n}', flush=True)
            n += 1
        except Exception as error:  # every failure is reported, then retried: that is what an application does
            fail(error)
            time.sleep(retry_pause)
