#!/usr/bin/env bash
# Make the macOS disk image: Clearsight.app and a link to /Applications, to drag it onto.
#   packaging/macos/make_dmg.sh [APP] [OUT_DIR] [ARCH]
#   (defaults: dist/Clearsight.app, dist, this Mac's processor)
# Output: OUT_DIR/Clearsight-<version>-macos-<arch>.dmg, the processor in the name (arm64 for
# Apple silicon, x86_64 for Intel: each app runs on its own processor only).
# Run after `python3 packaging/build_bundle.py` (when signing, sign_and_notarise.sh calls
# this with the signed app and then signs the .dmg).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
app="${1:-$root/dist/Clearsight.app}"
out="${2:-$root/dist}"
arch="${3:-$(uname -m)}"
version="$(python3 "$root/packaging/build_bundle.py" --print-version)"
dmg="$out/Clearsight-$version-macos-$arch.dmg"

[ -d "$app" ] || { echo "no app at $app: run packaging/build_bundle.py first" >&2; exit 1; }
/usr/libexec/PlistBuddy -c "Print :NSLocalNetworkUsageDescription" "$app/Contents/Info.plist" >/dev/null
/usr/libexec/PlistBuddy -c "Print :CFBundleDocumentTypes:0" "$app/Contents/Info.plist" >/dev/null

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
ditto "$app" "$staging/Clearsight.app"
ln -s /Applications "$staging/Applications"
notices="$app/Contents/Resources/licenses/THIRD-PARTY-NOTICES.txt"
[ -f "$notices" ] || notices="$root/build/licenses/THIRD-PARTY-NOTICES.txt"
cp "$notices" "$staging/Third-party licences.txt"
rm -f "$dmg"
hdiutil create -volname "Clearsight $version" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$dmg"
echo "dmg: $dmg"
