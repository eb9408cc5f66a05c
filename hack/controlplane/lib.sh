# Helpers shared by the plane's parts: logging, ports, process launch and stop, waiting,
# module lookup. Sourced by hack/plane; expects ROOT and CACHE to be set.

log() { printf '[plane] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

module_version() { # MODULE_DIR MODULE_PATH
  awk -v m="$2" '$1 == m || ($1 == "require" && $2 == m) { print ($1 == "require") ? $3 : $2; exit }' "$ROOT/$1/go.mod"
}

module_source_dir() { # MODULE_PATH VERSION
  local tmp dir
  tmp=$(mktemp -d)
  dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  rmdir "$tmp"
  [ -d "$dir" ] || die "could not download $1@$2 into the Go module cache"
  echo "$dir"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

alive() { # PIDFILE
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# Each component runs in a session of its own (setsid) so `down` and fault tests can signal
# its whole process group; its command line is kept in DIR/NAME.cmd so `start` can bring it back.
launch() { # DIR NAME
  local d=$1 name=$2
  alive "$d/$name.pid" && return
  setsid bash -c 'echo $$ > "$1"; shift; source "$1.env" 2>/dev/null || true; exec "${@:2}"' _ \
    "$d/$name.pid" "$d/$name" $(cat "$d/$name.cmd") >> "$d/$name.log" 2>&1 < /dev/null &
  local i
  for i in $(seq 1 50); do [ -s "$d/$name.pid" ] && return; sleep 0.1; done
  die "$name did not start; see $d/$name.log"
}

# Starts NAME with COMMAND unless it already runs with exactly that command; one running with
# another (a plane gaining a node) is restarted.
run_component() { # DIR NAME COMMAND
  local d=$1 name=$2
  if alive "$d/$name.pid" && [ "$(cat "$d/$name.cmd" 2>/dev/null)" = "$3" ]; then return; fi
  stop_component "$d" "$name"
  printf '%s\n' "$3" > "$d/$name.cmd"
  launch "$d" "$name"
}

stop_component() { # DIR NAME
  local pidfile=$1/$2.pid pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

wait_until() { # SECONDS DESCRIPTION LOGFILE COMMAND...
  local deadline=$(( $(date +%s) + $1 )) what=$2 logfile=$3
  shift 3
  until "$@" > /dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out waiting for $what; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

kubectl_in() { # DIR ARGS...
  local d=$1
  shift
  "$KUBE_BIN/kubectl" --kubeconfig "$d/kubeconfig" "$@"
}
