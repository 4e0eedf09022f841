"""redis-py knowing the master only by a DNS name (the primary endpoint), no Sentinel (bench/clients.ts).

    redis_py_dns_client.py <host> <port>   SET client:<n> one at a time; prints `ack <n>` per
                                           acknowledged write
Each new connection resolves the name again (getaddrinfo). Prints `fail <error>` (at most every
100 ms) while requests fail; stops when stdin closes.
"""
import sys
import threading
import time

import redis

host, port = sys.argv[1], int(sys.argv[2])
stopped = threading.Event()


def watch_stdin():
    for _ in sys.stdin:
        pass
    stopped.set()


threading.Thread(target=watch_stdin, daemon=True).start()
client = redis.Redis(host=host, port=port, socket_timeout=0.2, socket_connect_timeout=0.2)
last_fail = 0.0
n = 0
while not stopped.is_set():
    try:
        client.set(f'client:{n}', n)
        print(f'ack {n}', flush=True)
        n += 1
    except Exception as error:  # reported, then retried: what an application does
        if time.monotonic() - last_fail >= 0.1:
            last_fail = time.monotonic()
            print(f'fail {type(error).__name__}: {str(error)[:120]}', flush=True)
        time.sleep(0.1)
