#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server: its own data directory, a free loopback
# port, run as an unprivileged user (PostgreSQL refuses root), stopped and removed afterwards.
#
#   scripts/with-postgres.sh cargo test -p byok-kms --test scale_out
#
# The command gets BYOK_TEST_POSTGRES_URL (superuser `byok`, database `postgres`; tests create a
# database of their own each) and BYOK_TEST_POSTGRES_CTL, a script taking `stop` or `start` to
# take the server down and bring it back in the middle of a test. The server also speaks TLS,
# with a certificate for 127.0.0.1 from a CA made here (BYOK_TEST_POSTGRES_CA, PEM), and the
# superuser `byok_tls` may connect over TLS only (BYOK_TEST_POSTGRES_TLS_URL, without sslmode).
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
           -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key" >/dev/null ;;
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

# TLS: a throwaway CA and a server certificate for 127.0.0.1 (only: a client that asks for
# `localhost` with sslmode=verify-full must be refused).
mkdir "$dir/tls"
(
  cd "$dir/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=byok test PostgreSQL CA" -keyout ca.key -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem
) >"$dir/tls.log" 2>&1 || { cat "$dir/tls.log" >&2; exit 1; }
chmod 600 "$dir/tls/server.key"
[ ${#run[@]} -eq 0 ] || chown -R postgres "$dir/tls"
# byok_tls: TLS only (the first matching line wins).
{
  printf 'hostnossl all byok_tls 127.0.0.1/32 reject\nhostssl all byok_tls 127.0.0.1/32 trust\n'
  cat "$dir/data/pg_hba.conf"
} > "$dir/pg_hba.conf"
"${run[@]}" cp "$dir/pg_hba.conf" "$dir/data/pg_hba.conf"

"$dir/ctl" start || { cat "$dir/log" >&2; exit 1; }
"${run[@]}" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U byok -d postgres \
  -c "CREATE ROLE byok_tls LOGIN SUPERUSER" >/dev/null

export BYOK_TEST_POSTGRES_URL="postgres://byok@127.0.0.1:$port/postgres"
export BYOK_TEST_POSTGRES_TLS_URL="postgres://byok_tls@127.0.0.1:$port/postgres"
export BYOK_TEST_POSTGRES_CA="$dir/tls/ca.pem"
export BYOK_TEST_POSTGRES_CTL="$dir/ctl"
"$@"
