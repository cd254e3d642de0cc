#!/usr/bin/env bash
# Install Clearsight from its disk image as a user would (the app dragged to /Applications),
# check it and use it, then remove it. The installers workflow runs this on the tested .dmg
# and again on the signed and notarised one.
#   packaging/macos/install_test.sh DMG ARCH [--notarised]
#
#  1. the image mounts and holds Clearsight.app and the /Applications link
#  2. the installed app's signature verifies (codesign --verify --deep --strict), every
#     Mach-O file has the ARCH slice and needs no newer macOS than LSMinimumSystemVersion
#     (check_bundle.py), and its Info.plist says what the app is and which files it opens
#  3. --notarised: Gatekeeper accepts the app as a quarantined download would be judged
#     ("source=Notarized Developer ID"), and the tickets are stapled to the app and the .dmg
#  4. packaging/smoke_test.py on the installed app with the native "cocoa" plugin and the
#     "macos" style, then the saved report opened with `open -a` and through Launch Services
#     (the file type's registered owner, as a double-click in Finder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dmg="$1"
arch="$2"
notarised="${3:-}"
app=/Applications/Clearsight.app
lsregister=/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister

# 1. mount, drag to /Applications
mount="$(mktemp -d)"
hdiutil attach -nobrowse -readonly -mountpoint "$mount" "$dmg" >/dev/null
trap 'hdiutil detach "$mount" -quiet -force || true' EXIT
[ -d "$mount/Clearsight.app" ] || { echo "no Clearsight.app in $dmg" >&2; exit 1; }
[ "$(readlink "$mount/Applications")" = /Applications ] || { echo "no /Applications link" >&2; exit 1; }
rm -rf "$app"
ditto "$mount/Clearsight.app" "$app"
hdiutil detach "$mount" -quiet
trap - EXIT
echo "ok: $dmg mounts; Clearsight.app copied to /Applications"

# 2. the installed app
codesign --verify --deep --strict --verbose=2 "$app"
python3 "$here/check_bundle.py" "$app" --arch "$arch"
plist="$app/Contents/Info.plist"
plutil -lint "$plist"
plutil -extract NSLocalNetworkUsageDescription raw "$plist" >/dev/null
plutil -extract CFBundleDocumentTypes xml1 -o - "$plist" | grep -q org.clearsight.report
[ "$(plutil -extract CFBundleShortVersionString raw "$plist")" = \
    "$(python3 "$root/packaging/build_bundle.py" --print-version)" ]
[ -f "$app/Contents/Resources/clearsight.icns" ]
echo "ok: signature, architecture, minimum macOS and Info.plist"

# 3. Gatekeeper, as for a download (the quarantine flag a browser sets)
if [ "$notarised" = --notarised ]; then
    xcrun stapler validate "$dmg"
    xcrun stapler validate "$app"
    xattr -w com.apple.quarantine "0083;$(printf %x "$(date +%s)");Safari;" "$app"
    verdict="$(spctl --assess --type execute --verbose=4 "$app" 2>&1)" || {
        echo "$verdict" >&2; exit 1; }
    echo "$verdict"
    grep -q "source=Notarized Developer ID" <<<"$verdict"
    xattr -d com.apple.quarantine "$app"
    echo "ok: Gatekeeper accepts the app as notarised; tickets stapled"
fi

# 4. use it
"$lsregister" -f "$app"
python3 "$root/packaging/smoke_test.py" "$app/Contents/MacOS/Clearsight" \
    --gui-platform cocoa --open-with-app "$app" --open-with-association

"$lsregister" -u "$app" || true
rm -rf "$app"
echo "ok: removed $app"
