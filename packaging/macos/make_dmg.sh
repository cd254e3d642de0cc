#!/usr/bin/env bash
# Make the macOS disk image: Clearsight.app and a link to /Applications, to drag it onto.
#   packaging/macos/make_dmg.sh [dist/Clearsight.app] [dist]
# Run after `python3 packaging/build_bundle.py` (and after sign_and_notarise.sh when
# signing: the .app inside must already be signed; the .dmg is signed there too).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
app="${1:-$root/dist/Clearsight.app}"
out="${2:-$root/dist}"
version="$(python3 "$root/packaging/build_bundle.py" --print-version)"
arch="$(uname -m)"
dmg="$out/Clearsight-$version-macos-$arch.dmg"

[ -d "$app" ] || { echo "no app at $app: run packaging/build_bundle.py first" >&2; exit 1; }
/usr/libexec/PlistBuddy -c "Print :NSLocalNetworkUsageDescription" "$app/Contents/Info.plist" >/dev/null
/usr/libexec/PlistBuddy -c "Print :CFBundleDocumentTypes:0" "$app/Contents/Info.plist" >/dev/null

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
ditto "$app" "$staging/Clearsight.app"
ln -s /Applications "$staging/Applications"
cp "$root/build/licenses/THIRD-PARTY-NOTICES.txt" "$staging/Third-party licences.txt" 2>/dev/null || true
rm -f "$dmg"
hdiutil create -volname "Clearsight $version" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$dmg"
echo "dmg: $dmg"
