#!/bin/sh
# Re-vendor the browser libraries the report page inlines, from the npm registry at the pinned
# versions below: the minified builds, the Vega-Lite JSON schema the tests validate every chart
# specification against, and the licences (also of the packages vega-embed's build bundles).
#
#   sh labor_lake/present/vendor/revendor.sh        (needs npm and the registry; nothing else)
#
# To move to newer versions: change the pins, run this, run `uv run pytest tests/test_report.py`
# (schema validation and the browser test), and commit the folder.
set -eu
VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack <name>@<version-or-range> into $work/<name>, echo the exact version packed
    mkdir -p "$work/$1"
    tarball=$(cd "$work" && npm pack --silent "$1@$2")
    tar xzf "$work/$tarball" -C "$work/$1"
    node -p "require('$work/$1/package/package.json').version"
}

rm -f "$here"/*.js "$here"/*.json "$here"/LICENSE.*
{
    echo "# Vendored by revendor.sh from the npm registry: name, version, licence. For the packages
# bundled in vega-embed: the newest version its ranges allow, for the licence text."
    for pinned in "vega $VEGA" "vega-lite $VEGA_LITE" "vega-embed $VEGA_EMBED"; do
        set -- $pinned
        version=$(unpack "$1" "$2")
        cp "$work/$1/package/LICENSE" "$here/LICENSE.$1"
        echo "$1 $version $(node -p "require('$work/$1/package/package.json').license")"
    done
    # vega-embed's minified build bundles its own dependencies: their licences travel with it.
    for dependency in $(node -p "Object.keys(require('$work/vega-embed/package/package.json').dependencies).join(' ')"); do
        range=$(node -p "require('$work/vega-embed/package/package.json').dependencies['$dependency']")
        version=$(unpack "$dependency" "$range")
        licence_file=$(ls "$work/$dependency/package" | grep -i -m1 '^licen[cs]e' || true)
        if [ -n "$licence_file" ]; then
            cp "$work/$dependency/package/$licence_file" "$here/LICENSE.$dependency"
        fi
        echo "$dependency $version $(node -p "require('$work/$dependency/package/package.json').license") (bundled in vega-embed)"
    done
} > "$here/VERSIONS"

# The builds without their source-map comment: the page inlines them and has no map to offer.
for build in vega/package/build/vega.min.js vega-lite/package/build/vega-lite.min.js \
    vega-embed/package/build/vega-embed.min.js; do
    sed '/^\/\/# sourceMappingURL=/d' "$work/$build" > "$here/$(basename "$build")"
done
cp "$work/vega-lite/package/build/vega-lite-schema.json" "$here/vega-lite-schema.json"
cat "$here/VERSIONS"
