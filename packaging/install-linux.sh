#!/usr/bin/env bash
# Install the built app for the current user (no root needed), so that it is in the
# applications menu and opens on a click; or take it away again.
#
#   bash packaging/install-linux.sh                  # installs dist/hma-ingest (build.sh makes it)
#   bash packaging/install-linux.sh --bundle DIR     # installs another build of the bundle
#   bash packaging/install-linux.sh --uninstall      # removes everything the install put in place
#
# Where things go (XDG_DATA_HOME moves the last two; HMA_INSTALL_DIR the first):
#   ~/.local/opt/hma-ingest/                                  the bundle (replaced on each install)
#   ~/.local/share/icons/hicolor/<size>/apps/hma-ingest.png   the icon, 16 to 512 px, and the SVG
#   ~/.local/share/applications/hma-ingest.desktop            the menu entry (Exec = the bundle)
# Settings, the job store and logs are the app's own (hma-ingest config path); the
# uninstall leaves them alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
app_id="hma-ingest"
bundle="$here/dist/$app_id"
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle="${2:?--bundle needs a directory}"; shift ;;
    --uninstall) action=uninstall ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install-linux.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

target="${HMA_INSTALL_DIR:-$HOME/.local/opt/$app_id}"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
icons="$data_home/icons/hicolor"
applications="$data_home/applications"
desktop_file="$applications/$app_id.desktop"

refresh_caches() {
  # Both are optional: desktops rescan these folders anyway, the caches only speed it up.
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$icons/index.theme" ]; then
    gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
  fi
}

if [ "$action" = uninstall ]; then
  rm -rf "$target"
  rm -f "$desktop_file" "$icons/scalable/apps/$app_id.svg"
  for png in "$icons"/*/apps/"$app_id.png"; do
    [ -e "$png" ] && rm -f "$png"
  done
  refresh_caches
  echo "install-linux.sh: removed $target, the menu entry and the icons"
  exit 0
fi

bundle="$(cd "$bundle" 2>/dev/null && pwd)" || {
  echo "install-linux.sh: no bundle at $bundle (build it: bash packaging/build.sh)" >&2
  exit 1
}
resources="$bundle/_internal/resources"
if [ ! -x "$bundle/$app_id" ] || [ ! -f "$resources/$app_id.desktop" ]; then
  echo "install-linux.sh: $bundle is not an HMA Ingest bundle (no $app_id or resources)" >&2
  exit 1
fi
case "$target" in
  "$bundle"|"$bundle"/*) echo "install-linux.sh: will not install $bundle into itself" >&2; exit 1 ;;
esac

# The bundle: copied next to the old one, then swapped in, so a failed copy changes nothing.
mkdir -p "$(dirname "$target")"
staging="$target.new.$$"
trap 'rm -rf "$staging"' EXIT
cp -a "$bundle" "$staging"
rm -rf "$target"
mv "$staging" "$target"

# The icons, into the user's hicolor theme.
for png in "$resources"/icons/hicolor/*/apps/"$app_id.png"; do
  size_dir="$(basename "$(dirname "$(dirname "$png")")")"
  install -D -m 0644 "$png" "$icons/$size_dir/apps/$app_id.png"
done
install -D -m 0644 "$resources/icons/$app_id.svg" "$icons/scalable/apps/$app_id.svg"

# The menu entry, pointing at the installed binary (quoted, as the spec wants for spaces).
executable="$target/$app_id"
exec_value="$executable"
case "$executable" in *[[:space:]]*) exec_value="\"$executable\"" ;; esac
mkdir -p "$applications"
sed -e "s|^Exec=.*|Exec=$exec_value|" -e "/^TryExec=/d" \
  "$resources/$app_id.desktop" > "$desktop_file.tmp"
printf 'TryExec=%s\n' "$executable" >> "$desktop_file.tmp"
chmod 0644 "$desktop_file.tmp"
mv "$desktop_file.tmp" "$desktop_file"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop_file"
fi
refresh_caches

echo "install-linux.sh: installed $("$executable" --version 2>/dev/null || echo "$app_id")"
echo "  app:        $target"
echo "  menu entry: $desktop_file"
echo "  icons:      $icons/<size>/apps/$app_id.png"
echo "Start it from the applications menu, or: \"$executable\"; check it: \"$executable\" --self-test"
