#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server: its own data directory, a free loopback
# port, run as an unprivileged user (PostgreSQL refuses root), stopped and removed afterwards.
#
#   scripts/with-postgres.sh cargo test -p byok-kms --test scale_out
#
# The command gets BYOK_TEST_POSTGRES_URL (superuser `byok`, database `postgres`; tests create a
# database of their own each) and BYOK_TEST_POSTGRES_CTL, a script taking `stop` or `start` to
# take the server down and bring it back in the middle of a test.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "with-postgres: no PostgreSQL server found; run scripts/setup.sh test" >&2; exit 1; }

dir=$(mktemp -d /tmp/byok-postgres.XXXXXX)
run=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  run=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat > "$dir/ctl" <<EOF
#!/usr/bin/env bash
# stop: a fast shutdown (connections are cut, as in a failover); start: the same server again.
set -euo pipefail
case "\$1" in
  stop) ${run[*]} "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
  start) ${run[*]} "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
           -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400" >/dev/null ;;
  *) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
EOF
chmod 755 "$dir/ctl"

cleanup() {
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${run[@]}" "$bin/initdb" -D "$dir/data" -U byok --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
"$dir/ctl" start || { cat "$dir/log" >&2; exit 1; }

export BYOK_TEST_POSTGRES_URL="postgres://byok@127.0.0.1:$port/postgres"
export BYOK_TEST_POSTGRES_CTL="$dir/ctl"
"$@"
