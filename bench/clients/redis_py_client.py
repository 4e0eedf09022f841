"""redis-py through Sentinel, configured as its documentation says, for the client tests and the benchmark (bench/clients.ts).

    redis_py_client.py <sentinel-port> write   SET client:<n> one at a time through master_for;
                                                prints `ack <n>` per acknowledged write
    redis_py_client.py <sentinel-port> read    INFO through slave_for every 50 ms; prints
                                                `replica <tcp_port>` when the replica changes
Prints `fail <error>` (at most every 100 ms) while requests fail; stops when stdin closes.
"""
import os
import sys
import time

from redis.sentinel import Sentinel

from client_io import fail, stopped, write_loop

port, mode = int(sys.argv[1]), sys.argv[2]
password = os.environ.get('SENTINEL_PASSWORD')
sentinel = Sentinel([('127.0.0.1', port)], socket_timeout=0.2, sentinel_kwargs={'password': password} if password else {})

if mode == 'write':
    write_loop(sentinel.master_for('mymaster', socket_timeout=0.2, socket_connect_timeout=0.2))
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
