# Shared steps of tools/run and tools/test: install what is missing, start what is needed.
# Sourced, not run. Every failure says what is missing and how to get it, then exits non-zero.

SOTTO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOTTO_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/sotto
SYNAPSE_VERSION=1.163.2
export SOTTO_SYNAPSE_VENV=${SOTTO_SYNAPSE_VENV:-$SOTTO_CACHE/synapse-$SYNAPSE_VERSION}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$SOTTO_CACHE/target}

# Debian packages the build, the tests and the demo need, as "command-or-pkg-config-name:package".
SOTTO_DEBIAN_NEEDS=(
  "pkg:gtk4:libgtk-4-dev"
  "pkg:libadwaita-1:libadwaita-1-dev"
  "pkg:sqlite3:libsqlite3-dev"
  "cmd:pkg-config:pkg-config"
  "cmd:cc:build-essential"
  "cmd:glib-compile-resources:libglib2.0-dev-bin"
  "cmd:msgfmt:gettext"
  "cmd:gnome-keyring-daemon:gnome-keyring"
  "cmd:secret-tool:libsecret-tools"
  "cmd:dbus-run-session:dbus-daemon"
  "cmd:Xvfb:xvfb"
  "cmd:desktop-file-validate:desktop-file-utils"
  "cmd:appstreamcli:appstream"
  "cmd:convert:imagemagick"
  "cmd:meson:meson"
  "cmd:openssl:openssl"
  # tools/package --self-check (a test in tests/it/data_files.rs) lints the script.
  "cmd:shellcheck:shellcheck"
  "py:venv:python3-venv"
  "py:olm:python3-olm"
  # The accessibility bus and a screen reader's view of it, for the accessible-name test.
  "file:/usr/libexec/at-spi-bus-launcher:at-spi2-core"
  "py:pyatspi:python3-pyatspi"
  # An independent reader of picture metadata, for the media tests (engine::media).
  "cmd:exiftool:libimage-exiftool-perl"
  # The notification server of the notification tests (tests/it/harness/notifyd.py).
  "py:dbus:python3-dbus"
  "py:gi:python3-gi"
  # GTK's GStreamer media backend and the plugins that play received videos and sounds
  # (the playback test plays a WAV).
  "deb:libgtk-4-media-gstreamer:libgtk-4-media-gstreamer"
  "deb:gstreamer1.0-plugins-good:gstreamer1.0-plugins-good"
  # Emoji in reactions, for the screenshots of the UI tests.
  "file:/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf:fonts-noto-color-emoji"
)

die() {
  printf 'sotto: %s\n' "$*" >&2
  exit 1
}

note() {
  printf '==> %s\n' "$*" >&2
}

missing_debian_packages() {
  local need kind name pkg
  for need in "${SOTTO_DEBIAN_NEEDS[@]}"; do
    IFS=: read -r kind name pkg <<<"$need"
    case $kind in
      pkg) pkg-config --exists "$name" 2>/dev/null || echo "$pkg" ;;
      cmd) command -v "$name" >/dev/null 2>&1 || echo "$pkg" ;;
      py) /usr/bin/python3 -c "import ensurepip, $name" >/dev/null 2>&1 || echo "$pkg" ;;
      file) [ -e "$name" ] || echo "$pkg" ;;
      deb) dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'ok installed' || echo "$pkg" ;;
    esac
  done | sort -u
}

ensure_debian_packages() {
  local missing
  missing=$(missing_debian_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  note "installing missing Debian packages: $missing"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! $sudo apt-get update -qq || ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >&2; then
    die "could not install the Debian packages: $missing
Install them by hand with: sudo apt-get install $missing"
  fi
  missing=$(missing_debian_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] || die "still missing after apt-get: $missing"
}

ensure_rust() {
  command -v cargo >/dev/null 2>&1 || die "cargo is missing. Install Rust 1.95 or newer (rustup, or Debian's cargo if new enough) and run again."
}

# The pinned Synapse in a virtualenv cached outside the checkout (created on first use).
ensure_synapse_venv() {
  "$SOTTO_ROOT/tools/synapse-venv" >/dev/null
}

# matrix-nio (libolm) for the interop tests, pinned in tools/nio-requirements.txt, in a
# virtualenv cached outside the checkout (created on first use).
ensure_nio_venv() {
  "$SOTTO_ROOT/tools/nio-venv" >/dev/null
}

# Run "$@" inside a private D-Bus session with an unlocked gnome-keyring (throwaway password)
# and, when SOTTO_NEED_DISPLAY=1, an Xvfb display. Nothing touches the person's own session.
run_in_private_session() {
  exec dbus-run-session -- "$SOTTO_ROOT/tools/private-session" "$@"
}
