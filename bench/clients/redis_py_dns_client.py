"""redis-py knowing the master only by a DNS name (the primary endpoint), no Sentinel (bench/clients.ts).

    redis_py_dns_client.py <host> <port>   SET client:<n> one at a time; prints `ack <n>` per
                                           acknowledged write
Each new connection resolves the name again (getaddrinfo). Prints `fail <error>` (at most every
100 ms) while requests fail; stops when stdin closes.
"""
import sys

import redis

from client_io import write_loop

host, port = sys.argv[1], int(sys.argv[2])
# Each failed request waits 100 ms before the next: a reconnect interval, as dns-client.ts sets it.
write_loop(redis.Redis(host=host, port=port, socket_timeout=0.2, socket_connect_timeout=0.2), retry_pause=0.1)
