# Sourced by bench scripts (server-load.sh, console-10k.sh): a throwaway PostgreSQL of Debian's
# package. Needs PGBIN (its bin folder), WORK (a temp folder), PIDS (an array the script's exit
# trap kills and waits for).

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# temp_postgres [POSTGRES_OPTION...]: a cluster in $WORK/pg on a free loopback port with its
# default durability, started with the options given (e.g. -c max_connections=200); as root it
# runs as the postgres user. Sets AS (the command prefix to run as that user), PGPORT and DB
# (the server's JDBC URL) and adds the postmaster's pid to PIDS.
temp_postgres() {
  AS=()
  if [ "$(id -u)" = 0 ]; then chown postgres: "$WORK"; AS=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
  "${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  PGPORT=$(free_port)
  "${AS[@]}" "$PGBIN/postgres" -D "$WORK/pg" -p "$PGPORT" -h 127.0.0.1 -k "$WORK" "$@" >"$WORK/pg.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.2; done
  DB="jdbc:postgresql://127.0.0.1:$PGPORT/postgres?user=postgres"
}
