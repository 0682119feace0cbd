# shellcheck shell=bash
# Sourced by e2e/image/build and e2e/image/build-base: paths, the private image store, the tool install,
# the pinned versions and the cache-key helpers. Nothing here runs on its own.
# shellcheck disable=SC2034 # the IMAGE_* settings are used by the scripts that source this file

IMAGE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# IPVS_IMAGE_CACHE: another cache directory (e.g. to time a cold build without touching the usual one).
IMAGE_CACHE=${IPVS_IMAGE_CACHE:-$IMAGE_REPO/.cache/image}

# Node in the local build base: the version e2e/setup installs (one place to change it). npm: the version
# that Node release bundles (its CHANGELOG: "upgrade npm to 11.19.0"), as in the official node image.
IMAGE_NODE_VERSION=$(sed -n 's/^NODE_VERSION=//p' "$IMAGE_REPO/e2e/setup")
IMAGE_NPM_VERSION=11.19.0

# Debian packages the build needs on this machine. No recommends: rootful builds with host networking
# need neither slirp4netns, fuse-overlayfs nor dbus. gpg: mmdebstrap uses it to check the apt keyring.
# runc: Debian 12's crun (1.8) refuses to start containers on a host with cgroup v1 and a cgroup v2
# hierarchy that has controllers ("cgroups in hybrid mode not supported"), as this machine has; runc
# runs there and on pure v1 or v2 hosts alike, so RUN steps always use it (IMAGE_RUNTIME).
IMAGE_HOST_PACKAGES=(buildah podman skopeo mmdebstrap gpg runc)
IMAGE_RUNTIME=runc

# Progress lines carry the seconds since the script started: where a slow build spent its time.
image_log() { echo "image: [${SECONDS}s] $*" >&2; }
image_die() { image_log "$*"; exit 1; }

# Installs the missing packages once (apt-get install of an installed package would upgrade it). Waits
# at most 10 minutes for another apt/dpkg (other helpers install packages on this machine too).
image_install_tools() {
	local missing=() p
	for p in "${IMAGE_HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	image_log "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || image_die "apt-get update failed"
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		image_die "apt-get install ${missing[*]} failed"
}

# buildah and skopeo use a store of their own under .cache/image/ (not /var/lib/containers): the bases
# and build leftovers never mix with the machine's images, and deleting .cache/image starts over.
# Overlay works on this machine's ext4; IPVS_IMAGE_STORAGE_DRIVER=vfs where it does not (slower, bigger).
image_use_private_store() {
	mkdir -p "$IMAGE_CACHE/storage" "$IMAGE_CACHE/runroot"
	local conf=$IMAGE_CACHE/storage.conf
	local want
	want=$(printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' \
		"${IPVS_IMAGE_STORAGE_DRIVER:-overlay}" "$IMAGE_CACHE/storage" "$IMAGE_CACHE/runroot")
	[ "$(cat "$conf" 2>/dev/null)" = "$want" ] || printf '%s\n' "$want" >"$conf"
	export CONTAINERS_STORAGE_CONF=$conf
}

# One concurrent build per repository: a second caller waits (at most an hour, a cold build takes a few
# minutes) instead of racing for the same store and cache files.
image_lock() {
	# Already ours (e2e/image/build holds it and runs build-base): taking it again would deadlock.
	[ -n "${IPVS_IMAGE_LOCK_HELD:-}" ] && return 0
	mkdir -p "$IMAGE_CACHE"
	exec 9>"$IMAGE_CACHE/lock"
	if ! flock -n 9; then
		image_log "another image build holds $IMAGE_CACHE/lock; waiting (up to 3600 s)"
		flock -w 3600 9 || image_die "gave up after 3600 s waiting for $IMAGE_CACHE/lock"
	fi
	export IPVS_IMAGE_LOCK_HELD=1
}

# sha256 of the given files' and directories' contents and relative paths, in a stable order.
image_hash_paths() {
	(cd "$IMAGE_REPO" && find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
		sha256sum | cut -c1-64
}

image_hash_text() { printf '%s' "$*" | sha256sum | cut -c1-64; }

# True when the store holds an image with this name.
image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# Node's npm and the npm registry's TLS: behind a TLS-inspecting proxy the proxy's CA is only in the
# system bundle, so add it (harmless elsewhere: the same public CAs), as e2e/setup does.
image_node_tls() {
	if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
		export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	fi
}
