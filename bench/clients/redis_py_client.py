"""redis-py through Sentinel, configured as its documentation says, for the client tests and the benchmark (bench/clients.ts).

    redis_py_client.py <sentinel-port> write   SET client:<n> one at a time through master_for;
                                                prints `ack <n>` per acknowledged write
    redis_py_client.py <sentinel-port> read    INFO through slave_for every 50 ms; prints
                                                `replica <tcp_port>` when the replica changes
Prints `fail <error>` (at most every 100 ms) while requests fail; stops when stdin closes.
"""
import os
import sys
import threading
import time

from redis.sentinel import Sentinel

port, mode = int(sys.argv[1]), sys.argv[2]
stopped = threading.Event()


def watch_stdin():
    for _ in sys.stdin:
        pass
    stopped.set()


threading.Thread(target=watch_stdin, daemon=True).start()
password = os.environ.get('SENTINEL_PASSWORD')
sentinel = Sentinel([('127.0.0.1', port)], socket_timeout=0.2, sentinel_kwargs={'password': password} if password else {})
last_fail = 0.0


def fail(error):
    global last_fail
    if time.monotonic() - last_fail >= 0.1:
        last_fail = time.monotonic()
        print(f'fail {type(error).__name__}: {str(error)[:120]}', flush=True)


if mode == 'write':
    master = sentinel.master_for('mymaster', socket_timeout=0.2, socket_connect_timeout=0.2)
    n = 0
    while not stopped.is_set():
        try:
            master.set(f'client:{n}', n)
            print(f'ack {n}', flush=True)
            n += 1
        except Exception as error:  # every failure is reported, then retried: that is what an application does
            fail(error)
            time.sleep(0.002)
else:
    replica = sentinel.slave_for('mymaster', socket_timeout=0.2, socket_connect_timeout=0.2)
    last = None
    while not stopped.is_set():
        try:
            info = replica.info()
            seen = str(info['tcp_port']) if info['role'] == 'slave' else f"not-a-replica:{info['tcp_port']}"
            if seen != last:
                last = seen
                print(f'replica {seen}', flush=True)
        except Exception as error:
            fail(error)
        time.sleep(0.05)
