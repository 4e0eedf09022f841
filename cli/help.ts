export const HELP = `redis-failover: Redis Sentinel's failover, run by Step Functions and Lambda on AWS,
or on this machine against real redis-server processes.

Usage:
  redis-failover <command> [options]

Commands:
  local                       Run the orchestrator in the foreground against the servers in
                              --config until Ctrl-C: <probes> voters PING and INFO every
                              master and replica, vote SDOWN/ODOWN, elect one leader per
                              epoch and run the failover workflow. The table lives in
                              dynalite, in memory. Prints +monitor, +slave, then every event.
                              Answers Sentinel's commands on 127.0.0.1:<port>:
                                redis-cli -p 26379 SENTINEL FAILOVER mymaster [COORDINATED]
                                redis-cli -p 26379 SENTINEL GET-MASTER-ADDR-BY-NAME mymaster
                                redis-cli -p 26379 SENTINEL MASTER(S) | REPLICAS | CKQUORUM
                                redis-cli -p 26379 PSUBSCRIBE '*'     (every event, live)
                              (-INPROG while a failover runs, -NOGOODSLAVE when no replica
                              qualifies), so Sentinel-aware clients can find the master
                              and its replicas.
  demo                        Start a master and two replicas on free loopback ports, run the
                              orchestrator, write some keys, kill -9 the master, show the
                              failover live, print a timeline and a summary, and stop
                              everything it started. Needs redis-server.
  failover <name>             Fail over master <name> now, as SENTINEL FAILOVER <name> does:
                              refused (-NOGOODSLAVE, nothing touched) when no replica
                              qualifies; else it takes the failover's lease, runs the
                              workflow locally and prints each event as it happens.
                              Exits 0 after +switch-master, 1 when the failover aborts.
                              When a 'local' orchestrator answers on <port>, the request goes
                              through it (its voters' lease: -INPROG while one runs) and
                              the command waits for the switch.
                              With --coordinated (live master only): the master pauses
                              writes until the chosen replica has caught up, they swap
                              roles (Redis FAILOVER), then the rest are re-pointed: no
                              acknowledged write is lost. If the replica cannot catch up
                              in time, the master resumes as it was and the command exits 1.
                              Through a 'local' orchestrator this is SENTINEL FAILOVER
                              <name> COORDINATED (Valkey's syntax), under its lease.
  pause <name> | --all --for <duration> --reason "<why>"
                              Maintenance: no automatic failover of the master (or of every
                              master) for that long (90s, 30m, 2h, up to 7d): the voters still
                              probe and say +sdown/+odown, then +failover-held; a manual
                              failover still runs (with a warning). It always ends: -pause
                              when it runs out, or at resume. Events: +pause, -pause.
  resume <name> | --all       End the pause now (-pause … resumed).
  status [<name>]             Each master group now: the master of record and its epoch,
                              what clients are given, the voters voting and what they hold,
                              the pause, the failover in progress, each replica's role,
                              link, lag in bytes, last io and priority.
  history [<name>] [--limit <n>]
                              The latest failovers (default 10 per master), newest first:
                              epoch, trigger (odown or manual), old -> new master, result,
                              and each phase of the workflow with its duration. With
                              --events-file <file>, from the events a 'local' (or failover)
                              wrote there, asking nobody: each phase named by its event.
  get-master-addr <name>      The address clients are given, as "<host> <port>".
                              pause, resume, status, history and get-master-addr ask a running
                              'local' on <port>, or with --function <name|arn> a deployed
                              stack's request function (the stack's RequestFailoverFunctionName
                              output; credentials and region as the AWS CLI finds them).
                              status and get-master-addr with neither read the servers in
                              --config directly. failover --function starts a deployed
                              failover the same way.
  bench [options]             Benchmark against real redis-sentinel, side by side: the local
                              runtime, or (--runtime aws) the deployed stack on the
                              simulation (see redis-failover bench --help). Needs
                              redis-sentinel.
  help                        Show this text.

Options:
  -c, --config <file>         JSON config file (local, failover). See docs/config.md.
      --events-file <file>    Also append every event to <file> as JSON lines (history:
                              read the failovers from it).
      --no-timestamps         Print events without the leading [timestamp].
      --coordinated           failover only: a zero-loss switchover of a live master.
  -p, --port <port>           local: answer Sentinel's commands here; failover: ask the
                              orchestrator there, if one answers. Default 26379.
      --password-env <VAR>    local: the port asks clients for the password in environment
                              variable VAR (AUTH, or HELLO 3 AUTH default <password>), as
                              Sentinel's requirepass; failover: the password to give it.
      --log-format <text|json>  local: json prints every event and note as one JSON line on
                              stdout ({"time","level","message","event","sentinel",…}),
                              as the deployed functions log them. Default text.
      --function <name|arn>   Ask a deployed stack's request function (Lambda Invoke).
      --json                  pause, resume, status, history, get-master-addr: print the
                              answer as JSON, for tools.
      --for <duration>, --reason <text>, --all, --limit <n>: see pause and history.
  -h, --help                  Show this text.

Output:
  One line per event on stdout, as Sentinel publishes them:
    [2026-01-01T00:00:00.000Z] +switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380
  Progress notes and errors go to stderr.

Exit status:
  0 success, 1 the failover failed or aborted, 2 nothing touched: a bad command line or config,
  a refused request (INPROG, NOGOODSLAVE, a refused AUTH), or nobody to ask.
`;
