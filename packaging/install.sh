#!/bin/sh
# Install zot-bun as a service: a hardened systemd unit on Linux, a LaunchAgent on macOS.
#
#   sudo sh packaging/install.sh                  # Linux: binary, user, config, unit; starts it
#   sudo sh packaging/install.sh --edge           # a pull-through cache on a 1 GB device
#   sh packaging/install.sh                       # macOS: per-user LaunchAgent, no sudo
#   sudo sh packaging/install.sh --uninstall      # keeps config and data
#   sudo sh packaging/install.sh --uninstall --purge
#
# Idempotent: running it again upgrades the binary, the unit and the readiness probe, restarts
# the service, and leaves an existing config, data and user alone. See docs/install.md.
set -eu

LABEL=dev.zotregistry.zot
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)

usage() {
  cat <<'EOF'
usage: install.sh [options]

  --binary FILE     the zot binary to install (default: zot-<os>-<arch> found next to this
                    script, in ./dist, ../dist or the current directory; else the dist/zot
                    that `bun run build` makes, for this machine's platform)
  --config FILE     config to install when none exists yet (default: packaging/systemd/config.json)
  --edge            a pull-through cache on a small device: packaging/edge/config.json as the
                    config (unless --config) and memory limits for the unit (Linux only)
  --address ADDR    listen address written into a new config (default 127.0.0.1)
  --port PORT       port written into a new config (default 5000)
  --prefix DIR      install the binary as DIR/bin/zot (default /usr/local; ~/.local on macOS)
  --user NAME       service user on Linux (default zot)
  --root DIR        install into DIR as if it were / (also: DESTDIR=DIR); touches nothing else:
                    no systemctl, launchctl or useradd on this machine
  --no-start        install and enable, but do not start or restart the service
  --uninstall       stop and remove the service and the binary; keep config and data
  --purge           with --uninstall: also remove config, data, logs and the service user
  --os NAME         Linux or Darwin (default: uname -s; other values only with --root)
  --arch NAME       x86_64, aarch64 or arm64 (default: uname -m)
  -h, --help        this text
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}
say() { echo "install.sh: $*"; }

ROOT=${DESTDIR:-}
BINARY=
CONFIG_SOURCE=
ADDRESS=
PORT=
PREFIX=
SERVICE_USER=zot
NO_START=0
EDGE=0
ACTION=install
PURGE=0
OS=
ARCH=

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) need_value "$@"; BINARY=$2; shift ;;
    --config) need_value "$@"; CONFIG_SOURCE=$2; shift ;;
    --address) need_value "$@"; ADDRESS=$2; shift ;;
    --port) need_value "$@"; PORT=$2; shift ;;
    --prefix) need_value "$@"; PREFIX=$2; shift ;;
    --user) need_value "$@"; SERVICE_USER=$2; shift ;;
    --root) need_value "$@"; ROOT=$2; shift ;;
    --os) need_value "$@"; OS=$2; shift ;;
    --arch) need_value "$@"; ARCH=$2; shift ;;
    --binary=*) BINARY=${1#*=} ;;
    --config=*) CONFIG_SOURCE=${1#*=} ;;
    --address=*) ADDRESS=${1#*=} ;;
    --port=*) PORT=${1#*=} ;;
    --prefix=*) PREFIX=${1#*=} ;;
    --user=*) SERVICE_USER=${1#*=} ;;
    --root=*) ROOT=${1#*=} ;;
    --os=*) OS=${1#*=} ;;
    --arch=*) ARCH=${1#*=} ;;
    --no-start) NO_START=1 ;;
    --edge) EDGE=1 ;;
    --uninstall) ACTION=uninstall ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
[ "$PURGE" = 1 ] && [ "$ACTION" != uninstall ] && die "--purge only goes with --uninstall"
[ "$EDGE" = 1 ] && [ -z "$CONFIG_SOURCE" ] && CONFIG_SOURCE=$SCRIPT_DIR/edge/config.json
case "$PORT" in '' | *[!0-9]*) [ -z "$PORT" ] || die "--port must be a number, not $PORT" ;; esac

# --root: every path below is written under it, and nothing touches the running machine.
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT"
  ROOT=$(cd "$ROOT" && pwd)
  [ "$ROOT" = / ] && ROOT=
fi
live() { [ -z "$ROOT" ]; }

# --- platform ---------------------------------------------------------------------------------
HOST_OS=$(uname -s)
[ -n "$OS" ] || OS=$HOST_OS
case "$OS" in
  Linux | linux) OS=Linux; OS_NAME=linux ;;
  Darwin | darwin | macOS | macos) OS=Darwin; OS_NAME=darwin ;;
  *) die "unsupported operating system: $OS (Linux and macOS only)" ;;
esac
live && [ "$OS" != "$HOST_OS" ] && die "--os $OS differs from this machine ($HOST_OS): use it with --root"

HOST_ARCH=$(uname -m)
[ -n "$ARCH" ] || ARCH=$HOST_ARCH
# The release name of an architecture ($1): x64 or arm64; empty for one Bun does not build.
arch_name() {
  case "$1" in
    x86_64 | amd64 | x64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
  esac
}
host_arch_name() { arch_name "$HOST_ARCH"; }
case "$ARCH" in
  armv6* | armv7* | armv8l | armhf | arm)
    die "32-bit ARM ($ARCH) is not supported: Bun has no 32-bit ARM build. A Raspberry Pi 3, 4 or 5 works with a 64-bit OS (Raspberry Pi OS 64-bit, Debian or Ubuntu arm64)." ;;
esac
ARCH_NAME=$(arch_name "$ARCH")
[ -n "$ARCH_NAME" ] || die "unsupported architecture: $ARCH (x86_64 and aarch64/arm64 only)"
# A 64-bit kernel can run a 32-bit userland (older Raspberry Pi OS does): the arm64 binary needs
# the 64-bit loader, so refuse early instead of failing with "No such file or directory".
if live && [ "$OS" = Linux ] && [ "$(getconf LONG_BIT 2>/dev/null || echo 64)" = 32 ]; then
  die "this is a 32-bit userland on a 64-bit kernel: Bun needs a 64-bit OS (Raspberry Pi OS 64-bit)"
fi

if [ -z "$PREFIX" ]; then
  if [ "$OS" = Darwin ]; then PREFIX=$HOME/.local; else PREFIX=/usr/local; fi
fi
ZOT=$PREFIX/bin/zot

# --- helpers ----------------------------------------------------------------------------------
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# Copies $1 to $2 with mode $3 through a temporary file and a rename: a running binary is never
# overwritten in place ("Text file busy"), and an interrupted copy leaves the old file intact.
put_file() {
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp.$$"
  chmod "$3" "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}

# sed replacement text for a literal string ($1), delimiter |
sed_literal() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
json_escape() { printf '%s' "$1" | sed -e 's/[\\"]/\\&/g'; }
xml_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

find_binary() {
  [ -n "$BINARY" ] && { [ -f "$BINARY" ] || die "no such binary: $BINARY"; return; }
  name=zot-$OS_NAME-$ARCH_NAME
  for candidate in "$SCRIPT_DIR/$name" "$SCRIPT_DIR/../dist/$name" "./dist/$name" "./$name"; do
    if [ -f "$candidate" ]; then BINARY=$candidate; return; fi
  done
  # `bun run build` writes dist/zot for this machine only: usable when installing for this
  # machine's platform, never for another --os/--arch.
  if [ "$OS" = "$HOST_OS" ] && [ "$ARCH_NAME" = "$(host_arch_name)" ]; then
    for candidate in "$SCRIPT_DIR/../dist/zot" "./dist/zot"; do
      if [ -f "$candidate" ]; then BINARY=$candidate; return; fi
    done
  fi
  die "cannot find $name or dist/zot: pass --binary FILE (build it with 'bun run build' for this machine or 'bun run release')"
}

check_binary() {
  if [ -f "$BINARY.sha256" ]; then
    expected=$(cut -d' ' -f1 <"$BINARY.sha256")
    [ "$(sha256_of "$BINARY")" = "$expected" ] || die "$BINARY does not match $BINARY.sha256"
    say "checksum of $(basename "$BINARY") verified"
  fi
  if [ "$OS" = "$HOST_OS" ] && [ "$(uname -m)" = "$ARCH" ] || live; then
    version=$("$BINARY" --version 2>/dev/null) || die "$BINARY does not run on this machine ($HOST_OS $HOST_ARCH)"
    say "installing $version"
  fi
}

# Shell completions and the man page, generated by the binary itself so they match it exactly:
# under PREFIX/share, where bash-completion, zsh (site-functions), fish (vendor_completions.d) and
# man look by default for /usr/local. Skipped when the binary is for another platform.
DOC_FILES="share/bash-completion/completions/zot share/zsh/site-functions/_zot share/fish/vendor_completions.d/zot.fish share/man/man1/zot.1"
install_docs() {
  "$BINARY" --version >/dev/null 2>&1 || { say "completions and man page skipped: $BINARY does not run here"; return; }
  for file in $DOC_FILES; do
    case "$file" in
      *bash-completion*) set -- completion bash ;;
      *zsh*) set -- completion zsh ;;
      *fish*) set -- completion fish ;;
      *) set -- man ;;
    esac
    mkdir -p "$(dirname "$ROOT$PREFIX/$file")"
    "$BINARY" "$@" >"$ROOT$PREFIX/$file.tmp.$$" || die "$BINARY $* failed"
    chmod 0644 "$ROOT$PREFIX/$file.tmp.$$"
    mv -f "$ROOT$PREFIX/$file.tmp.$$" "$ROOT$PREFIX/$file"
  done
  say "installed bash, zsh and fish completions and the man page under $PREFIX/share"
}
remove_docs() { for file in $DOC_FILES; do rm -f "$ROOT$PREFIX/$file"; done; }

# Writes the config (only when there is none: the user's edits are never overwritten) and sets
# CONFIG_WRITTEN=1 when it did. $1 = destination, $2 = storage root for this platform.
CONFIG_WRITTEN=0
install_config() {
  if [ -f "$ROOT$1" ]; then
    say "keeping existing $1"
    return
  fi
  source=${CONFIG_SOURCE:-$SCRIPT_DIR/systemd/config.json}
  [ -f "$source" ] || die "no such config: $source"
  # Paths under /var/lib/zot (storage, sync spool) move to this platform's storage root.
  expression="s|\"/var/lib/zot\([/\"]\)|\"$(sed_literal "$(json_escape "$2")")\\1|g"
  [ -n "$ADDRESS" ] && expression="$expression;s|\"address\": *\"[^\"]*\"|\"address\": \"$(sed_literal "$ADDRESS")\"|"
  [ -n "$PORT" ] && expression="$expression;s|\"port\": *\"[^\"]*\"|\"port\": \"$PORT\"|"
  mkdir -p "$(dirname "$ROOT$1")"
  sed -e "$expression" "$source" >"$ROOT$1.tmp.$$"
  mv -f "$ROOT$1.tmp.$$" "$ROOT$1"
  CONFIG_WRITTEN=1
  say "wrote $1"
}

# http.address and http.port of a config, when they can be read without a JSON parser (the
# configs shipped here and most hand-written ones); empty otherwise.
config_field() {
  tr -d '\n' <"$2" | sed -n "s/.*\"http\" *: *{[^}]*\"$1\" *: *\"\{0,1\}\([^\",}]*\).*/\1/p" | tr -d ' '
}

# --- Linux: systemd ---------------------------------------------------------------------------
service_uid() { awk -F: -v user="$SERVICE_USER" '$1 == user { print $3 }' "$ROOT/etc/passwd" 2>/dev/null; }
service_gid() { awk -F: -v user="$SERVICE_USER" '$1 == user { print $4 }' "$ROOT/etc/passwd" 2>/dev/null; }

ensure_user() {
  if [ -n "$(service_uid)" ]; then
    say "user $SERVICE_USER exists"
    return
  fi
  command -v useradd >/dev/null 2>&1 || die "useradd is missing (package passwd)"
  nologin=/usr/sbin/nologin
  [ -x "$ROOT$nologin" ] || [ -n "$ROOT" ] || nologin=/bin/false
  if live; then
    useradd --system --user-group --home-dir /var/lib/zot --no-create-home --shell "$nologin" "$SERVICE_USER"
  else
    # useradd --prefix edits DIR/etc/{passwd,group,shadow,gshadow} without a chroot.
    mkdir -p "$ROOT/etc"
    for database in passwd group shadow gshadow; do
      [ -e "$ROOT/etc/$database" ] || : >"$ROOT/etc/$database"
    done
    chmod 0600 "$ROOT/etc/shadow" "$ROOT/etc/gshadow"
    useradd --prefix "$ROOT" --system --user-group --home-dir /var/lib/zot --no-create-home \
      --shell "$nologin" "$SERVICE_USER"
  fi
  say "created system user $SERVICE_USER"
}

systemd_running() { live && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

install_linux() {
  [ "$(id -u)" = 0 ] || [ -n "$ROOT" ] || die "run as root (sudo sh $0 ...)"
  find_binary
  check_binary
  ensure_user
  uid=$(service_uid)
  gid=$(service_gid)

  put_file "$BINARY" "$ROOT$ZOT" 0755
  say "installed $ZOT"
  put_file "$SCRIPT_DIR/systemd/zot-ready" "$ROOT$PREFIX/lib/zot/zot-ready" 0755
  install_docs

  mkdir -p "$ROOT/etc/zot" "$ROOT/var/lib/zot"
  chmod 0750 "$ROOT/var/lib/zot"
  chown "$uid:$gid" "$ROOT/var/lib/zot"
  install_config /etc/zot/config.json /var/lib/zot
  if [ "$CONFIG_WRITTEN" = 1 ]; then
    # Readable by the service user, not by everyone: configs name credential files.
    chown "0:$gid" "$ROOT/etc/zot/config.json"
    chmod 0640 "$ROOT/etc/zot/config.json"
  fi

  if [ ! -f "$ROOT/etc/default/zot" ]; then
    address=$(config_field address "$ROOT/etc/zot/config.json")
    port=$(config_field port "$ROOT/etc/zot/config.json")
    case "$address" in '' | 0.0.0.0 | :: | '[::]') address=127.0.0.1 ;; *:*) address="[$address]" ;; esac
    mkdir -p "$ROOT/etc/default"
    cat >"$ROOT/etc/default/zot" <<EOF
# Environment of zot.service. ZOT_READY_URL is where the start-up readiness probe
# (ExecStartPost=$PREFIX/lib/zot/zot-ready) asks GET /readyz: keep it in step with http.address
# and http.port in /etc/zot/config.json (https:// when TLS is on).
ZOT_READY_URL=http://$address:${port:-5000}/readyz
EOF
    say "wrote /etc/default/zot"
  fi

  unit=$ROOT/etc/systemd/system/zot.service
  mkdir -p "$ROOT/etc/systemd/system"
  sed -e "s|/usr/local/bin/zot|$(sed_literal "$ZOT")|g" \
    -e "s|/usr/local/lib/zot/zot-ready|$(sed_literal "$PREFIX/lib/zot/zot-ready")|g" \
    -e "s|^User=zot\$|User=$(sed_literal "$SERVICE_USER")|" \
    -e "s|^Group=zot\$|Group=$(sed_literal "$SERVICE_USER")|" \
    "$SCRIPT_DIR/systemd/zot.service" >"$unit.tmp.$$"
  chmod 0644 "$unit.tmp.$$"
  mv -f "$unit.tmp.$$" "$unit"
  say "installed /etc/systemd/system/zot.service"
  if [ "$EDGE" = 1 ]; then
    put_file "$SCRIPT_DIR/edge/zot.service.d/edge.conf" "$ROOT/etc/systemd/system/zot.service.d/edge.conf" 0644
    say "installed /etc/systemd/system/zot.service.d/edge.conf (memory limits for a small device)"
  fi

  if live; then
    if systemd_running; then
      systemctl daemon-reload
      systemctl enable --quiet zot.service
      if [ "$NO_START" = 1 ]; then
        say "enabled zot.service (not started: --no-start)"
      else
        # restart, not start: a reinstall must run the new binary. Returns once /readyz is 200.
        systemctl restart zot.service || die "zot.service did not become ready: journalctl -u zot -n 50"
        say "zot.service is running and ready: $(grep '^ZOT_READY_URL=' /etc/default/zot | cut -d= -f2-)"
      fi
    else
      say "systemd is not running here: start the registry with '$ZOT serve /etc/zot/config.json'"
    fi
  else
    # The [Install] section says WantedBy=multi-user.target; this is what `systemctl enable` does.
    mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
    ln -sfn /etc/systemd/system/zot.service "$ROOT/etc/systemd/system/multi-user.target.wants/zot.service"
    say "enabled zot.service in $ROOT"
  fi
}

uninstall_linux() {
  [ "$(id -u)" = 0 ] || [ -n "$ROOT" ] || die "run as root (sudo sh $0 --uninstall)"
  if systemd_running && [ -f /etc/systemd/system/zot.service ]; then
    systemctl disable --now --quiet zot.service || true
  fi
  rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/zot.service" \
    "$ROOT/etc/systemd/system/zot.service" "$ROOT/etc/systemd/system/zot.service.d/edge.conf" \
    "$ROOT$ZOT" "$ROOT$PREFIX/lib/zot/zot-ready"
  remove_docs
  rmdir "$ROOT$PREFIX/lib/zot" "$ROOT/etc/systemd/system/zot.service.d" 2>/dev/null || true
  systemd_running && systemctl daemon-reload
  say "removed the service, $ZOT, its readiness probe, completions and man page"
  if [ "$PURGE" = 1 ]; then
    rm -rf "$ROOT/var/lib/zot" "$ROOT/var/log/zot" "$ROOT/etc/zot" "$ROOT/etc/default/zot"
    if [ -n "$(service_uid)" ]; then
      if live; then userdel "$SERVICE_USER"; else userdel --prefix "$ROOT" "$SERVICE_USER"; fi
    fi
    say "purged /var/lib/zot, /var/log/zot, /etc/zot, /etc/default/zot and user $SERVICE_USER"
  else
    say "kept config (/etc/zot), data (/var/lib/zot) and user $SERVICE_USER: --uninstall --purge removes them"
  fi
}

# --- macOS: launchd ---------------------------------------------------------------------------
PLIST=$HOME/Library/LaunchAgents/$LABEL.plist

install_darwin() {
  [ "$(id -u)" != 0 ] || [ -n "$ROOT" ] || die "a LaunchAgent belongs to a user: run without sudo"
  find_binary
  check_binary
  put_file "$BINARY" "$ROOT$ZOT" 0755
  if live; then
    # A binary downloaded with a browser is quarantined; a copied one may lose its signature.
    xattr -d com.apple.quarantine "$ZOT" 2>/dev/null || true
    codesign --verify "$ZOT" 2>/dev/null || codesign --force --sign - "$ZOT"
  fi
  say "installed $ZOT"
  install_docs

  mkdir -p "$ROOT$HOME/zot" "$ROOT$HOME/Library/Logs" "$ROOT$HOME/Library/LaunchAgents"
  chmod 0700 "$ROOT$HOME/zot"
  install_config "$HOME/.config/zot/config.json" "$HOME/zot"

  # launchd expands neither ~ nor $HOME: write the paths out.
  home=$(sed_literal "$(xml_escape "$HOME")")
  zot=$(sed_literal "$(xml_escape "$ZOT")")
  sed -e '/^<!--$/,/^-->$/d' -e "s|__HOME__|$home|g" -e "s|__ZOT__|$zot|g" \
    "$SCRIPT_DIR/launchd/$LABEL.plist" >"$ROOT$PLIST.tmp.$$"
  chmod 0644 "$ROOT$PLIST.tmp.$$"
  mv -f "$ROOT$PLIST.tmp.$$" "$ROOT$PLIST"
  say "installed $PLIST"

  if live && [ "$NO_START" = 0 ]; then
    domain=gui/$(id -u)
    launchctl bootout "$domain/$LABEL" 2>/dev/null || true
    launchctl enable "$domain/$LABEL"
    launchctl bootstrap "$domain" "$PLIST" || die "launchctl bootstrap failed: see ~/Library/Logs/zot.err.log"
    address=$(config_field address "$HOME/.config/zot/config.json")
    port=$(config_field port "$HOME/.config/zot/config.json")
    case "$address" in '' | 0.0.0.0 | :: | '[::]') address=127.0.0.1 ;; esac
    url=http://$address:${port:-5000}/readyz
    ZOT_READY_TIMEOUT=30 sh "$SCRIPT_DIR/systemd/zot-ready" "$url" ||
      die "the registry did not become ready: see ~/Library/Logs/zot.err.log"
    say "running and ready: $url"
  elif live; then
    say "not started (--no-start): launchctl bootstrap gui/\$(id -u) $PLIST"
  fi
}

uninstall_darwin() {
  if live; then launchctl bootout "gui/$(id -u)/$LABEL" 2>/dev/null || true; fi
  rm -f "$ROOT$PLIST" "$ROOT$ZOT"
  remove_docs
  say "removed the LaunchAgent and $ZOT"
  if [ "$PURGE" = 1 ]; then
    rm -rf "$ROOT$HOME/zot" "$ROOT$HOME/.config/zot" \
      "$ROOT$HOME/Library/Logs/zot.out.log" "$ROOT$HOME/Library/Logs/zot.err.log"
    say "purged ~/zot, ~/.config/zot and the logs"
  else
    say "kept config (~/.config/zot) and data (~/zot): --uninstall --purge removes them"
  fi
}

case "$OS-$ACTION" in
  Linux-install) install_linux ;;
  Linux-uninstall) uninstall_linux ;;
  Darwin-install) install_darwin ;;
  Darwin-uninstall) uninstall_darwin ;;
esac
