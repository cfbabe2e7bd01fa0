#!/usr/bin/env bash
# Builds the .deb from the test suite's binary (target/debug/ningan, so CI builds nothing
# again) and installs it as an operator would; without systemd (as in CI) it checks what the
# unit would run: `ningan --version` and `ningan config check` as the service user, the user,
# the data directory and the unit in place. Removes the package afterwards. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-deb >/dev/null 2>&1 || cargo install --locked cargo-deb --version 3.8.0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo deb -p ningan --no-build --profile dev --fast --output "$out/ningan.deb"
dpkg-deb --info "$out/ningan.deb" | grep -E "Package|Version|Depends"
dpkg -i "$out/ningan.deb"
runuser -u ningan -- /usr/bin/ningan --version
config=$(runuser -u ningan -- /usr/bin/ningan --config /etc/ningan/ningan.toml config check)
grep -q '^data_dir = "/var/lib/ningan"' <<< "$config"
[ "$(stat -c %U:%a /var/lib/ningan)" = "ningan:750" ]
[ "$(stat -c %G:%a /etc/ningan/ningan.toml)" = "ningan:640" ]
unit=$(dpkg -L ningan | grep -E 'systemd/system/ningan\.service$')
grep -q '^ExecStart=/usr/bin/ningan serve' "$unit"
# The service user can open its data directory: a migration creates the database there.
migrated=$(runuser -u ningan -- /usr/bin/ningan --config /etc/ningan/ningan.toml migrate)
grep -q "schema version" <<< "$migrated"
dpkg --purge ningan >/dev/null
echo "ningan.deb: installs, runs as the ningan user, removes cleanly"
