#!/bin/bash
# Installs and caches everything e2e/run-in-vm needs, idempotently:
#   - Debian packages for the host side (qemu) and for the guest side (the guest runs the host's own
#     userland over 9p, so ipvsadm/ipset/iptables/tcpdump must be installed on the HOST);
#   - a Debian 6.1 kernel (unpacked, depmod'ed) because the machine's own kernel has no IPVS and
#     cannot load modules;
#   - a tiny busybox initramfs that mounts the host's / over 9p and switch_roots into it.
# Sourced by e2e/run-in-vm (function vm_install); runnable alone as `e2e/vm/install.sh`.
# On success it sets VM_KVER, VM_KERNEL_DIR, VM_BOOT_KERNEL, VM_INITRD (also written to $VM_CACHE/ready).

# Host packages. busybox-static: the initramfs needs a static binary (no libc in there).
# xz-utils: to unpack the kernel image once instead of at every boot (see vm_install_boot_kernel).
# podman, catatonit (podman's local pause image), bpftool: the DaemonSet pod suite runs the chart's pod in the
# guest with the host's podman (e2e/pod/guest-podman.ts says why it needs bpftool).
# socat: the SCTP servers and client associations of e2e/traffic/conntrack-cases.sh (Node has no SCTP).
VM_PACKAGES=(qemu-system-x86 busybox-static kmod ipvsadm ipset iptables iproute2 tcpdump cpio xz-utils socat
	podman catatonit bpftool)

# Modules the initramfs loads itself, before the host's / (and so /lib/modules) is reachable.
# Their dependencies are resolved with modprobe --show-depends at build time.
VM_INITRAMFS_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

vm_log() { echo "run-in-vm: $*" >&2; }

# True when every package is installed (one dpkg-query call: this runs on every invocation).
vm_packages_ok() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${VM_PACKAGES[@]}" 2>/dev/null) || return 1
	[ "$(grep -c '^ii' <<<"$status")" -eq "${#VM_PACKAGES[@]}" ]
}

vm_install_packages() {
	vm_packages_ok && return 0
	# Only the missing ones: naming an installed package to apt-get install would upgrade it.
	local missing=() p
	for p in "${VM_PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
	done
	vm_log "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Package lists may be missing or stale on a fresh machine: refresh once before installing.
	apt-get update -qq >&2 || return 1
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || return 1
	vm_packages_ok
}

# Newest linux-image-6.1.0-N-amd64 the apt lists know (the plain flavour: not -cloud or -rt, which lack
# modules we need or behave differently).
vm_newest_kernel_package() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1
}

# Downloads and unpacks the kernel into $VM_CACHE/kernel/<version>/ unless a complete one is there.
# A kernel already in the cache is reused even if apt now knows a newer one: runs stay comparable.
vm_install_kernel() {
	local kver
	if [ -n "${E2E_VM_KERNEL:-}" ]; then
		kver=$E2E_VM_KERNEL
	else
		# Reuse the newest complete cached kernel, if any.
		kver=$(cd "$VM_CACHE/kernel" 2>/dev/null && ls -d 6.1.0-*-amd64 2>/dev/null |
			while read -r d; do [ -e "$d/.complete" ] && echo "$d"; done | sort -V | tail -n 1)
	fi
	if [ -z "$kver" ] || [ ! -e "$VM_CACHE/kernel/$kver/.complete" ]; then
		local pkg
		if [ -n "$kver" ]; then
			pkg=linux-image-$kver
		else
			pkg=$(vm_newest_kernel_package)
			if [ -z "$pkg" ]; then
				apt-get update -qq >&2 || return 1
				pkg=$(vm_newest_kernel_package)
			fi
			[ -n "$pkg" ] || { vm_log "no linux-image-6.1.0-*-amd64 package known to apt"; return 1; }
			kver=${pkg#linux-image-}
		fi
		vm_log "downloading and unpacking $pkg"
		local dir=$VM_CACHE/kernel/$kver tmp
		rm -rf "$dir" && mkdir -p "$dir" || return 1
		tmp=$(mktemp -d "$VM_CACHE/download.XXXXXX") || return 1
		# apt-get download drops privileges to _apt when it can write the directory; let it.
		chown _apt "$tmp" 2>/dev/null
		(cd "$tmp" && apt-get download -qq "$pkg" >&2) || { rm -rf "$tmp"; return 1; }
		dpkg -x "$tmp"/*.deb "$dir/root" || { rm -rf "$tmp"; return 1; }
		rm -rf "$tmp"
		# bookworm's packages ship /lib/modules; newer ones /usr/lib/modules. depmod -b wants lib/modules.
		if [ ! -d "$dir/root/lib/modules/$kver" ] && [ -d "$dir/root/usr/lib/modules/$kver" ]; then
			mkdir -p "$dir/root/lib" && mv "$dir/root/usr/lib/modules" "$dir/root/lib/modules"
		fi
		[ -d "$dir/root/lib/modules/$kver" ] && [ -f "$dir/root/boot/vmlinuz-$kver" ] ||
			{ vm_log "unexpected layout in $pkg"; return 1; }
		depmod -b "$dir/root" "$kver" || return 1
		touch "$dir/.complete"
	fi
	VM_KVER=$kver
	VM_KERNEL_DIR=$VM_CACHE/kernel/$kver/root
}

# The kernel qemu boots. Debian's bzImage is xz-compressed, and decompressing ~65 MB under TCG costs
# seconds at every boot; qemu can boot the uncompressed ELF vmlinux directly through its PVH entry
# point (CONFIG_PVH), so unpack it once here. Falls back to the bzImage if anything is off.
vm_install_boot_kernel() {
	local bz=$VM_KERNEL_DIR/boot/vmlinuz-$VM_KVER elf=$VM_CACHE/kernel/$VM_KVER/vmlinux off
	VM_BOOT_KERNEL=$bz
	grep -q '^CONFIG_PVH=y' "$VM_KERNEL_DIR/boot/config-$VM_KVER" 2>/dev/null || return 0
	if [ ! -s "$elf" ]; then
		# The payload is the first xz stream in the image (magic FD 37 7A 58 5A 00).
		off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$bz" | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || return 0
		tail -c +$((off + 1)) "$bz" | xz -dc --single-stream >"$elf.tmp" 2>/dev/null
		if [ "$(head -c 4 "$elf.tmp" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
			rm -f "$elf.tmp"
			return 0
		fi
		mv "$elf.tmp" "$elf"
	fi
	VM_BOOT_KERNEL=$elf
}

# Builds the initramfs; its name carries a hash of its inputs so editing initramfs-init.sh rebuilds it.
vm_install_initramfs() {
	local init=$VM_SRC/initramfs-init.sh hash
	hash=$(cat "$init" /bin/busybox <(echo "${VM_INITRAMFS_MODULES[*]}") | sha256sum | cut -c1-12)
	VM_INITRD=$VM_CACHE/initramfs-$VM_KVER-$hash.cpio
	[ -s "$VM_INITRD" ] && return 0
	vm_log "building initramfs for $VM_KVER"
	local tmp
	tmp=$(mktemp -d "$VM_CACHE/initramfs.XXXXXX") || return 1
	mkdir -p "$tmp"/{bin,dev,proc,sys,modules,lower,rw,newroot}
	cp /bin/busybox "$tmp/bin/busybox" && cp "$init" "$tmp/init" && chmod 755 "$tmp/init" || return 1
	# Resolve dependencies in load order; "builtin ..." lines need nothing. Duplicates are skipped.
	local line path
	: >"$tmp/modules/order"
	while read -r line; do
		case $line in
		insmod\ *)
			path=${line#insmod }
			path=${path%% *}
			grep -qxF "${path##*/}" "$tmp/modules/order" && continue
			cp "$path" "$tmp/modules/" && echo "${path##*/}" >>"$tmp/modules/order" || return 1
			;;
		FAIL\ *) vm_log "cannot resolve module ${line#FAIL }"; return 1 ;;
		esac
	done < <(for m in "${VM_INITRAMFS_MODULES[@]}"; do
		modprobe -d "$VM_KERNEL_DIR" -S "$VM_KVER" --show-depends "$m" || echo "FAIL $m"
	done)
	# The kernel wants an uncompressed "newc" cpio at least; compression would only slow loading.
	(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$VM_INITRD.tmp" &&
		mv "$VM_INITRD.tmp" "$VM_INITRD"
	local rc=$?
	rm -rf "$tmp"
	# Older builds are dead weight, but one may be about to boot in a concurrent caller that read
	# "ready" before we rebuilt: only drop those unused for a day.
	find "$VM_CACHE" -maxdepth 1 -name "initramfs-*.cpio" ! -path "$VM_INITRD" -mmin +1440 -delete
	return $rc
}

# Everything, under an exclusive lock so concurrent callers neither race apt nor see a half-built cache.
# The quick path (all done) costs one dpkg-query and a few stats.
vm_install() {
	mkdir -p "$VM_CACHE" || return 1
	if vm_packages_ok && [ -r "$VM_CACHE/ready" ]; then
		# shellcheck source=/dev/null
		. "$VM_CACHE/ready"
		[ -z "${E2E_VM_KERNEL:-}" ] || [ "$E2E_VM_KERNEL" = "$VM_KVER" ] || VM_KVER=
		if [ -n "$VM_KVER" ] && [ -s "${VM_BOOT_KERNEL:-}" ] && [ -s "$VM_INITRD" ] &&
			[ "$VM_INITRD_INPUT" = "$(stat -c %Y:%s "$VM_SRC/initramfs-init.sh")" ]; then
			return 0
		fi
	fi
	(
		flock -w 1800 9 || { vm_log "timed out waiting for $VM_CACHE/lock"; exit 1; }
		vm_install_packages || { vm_log "installing packages failed"; exit 1; }
		vm_install_kernel || { vm_log "installing the kernel failed"; exit 1; }
		vm_install_boot_kernel
		vm_install_initramfs || { vm_log "building the initramfs failed"; exit 1; }
		{
			printf 'VM_KVER=%q\n' "$VM_KVER"
			printf 'VM_KERNEL_DIR=%q\nVM_BOOT_KERNEL=%q\nVM_INITRD=%q\n' "$VM_KERNEL_DIR" "$VM_BOOT_KERNEL" "$VM_INITRD"
			printf 'VM_INITRD_INPUT=%q\n' "$(stat -c %Y:%s "$VM_SRC/initramfs-init.sh")"
		} >"$VM_CACHE/ready.tmp" && mv "$VM_CACHE/ready.tmp" "$VM_CACHE/ready"
	) 9>>"$VM_CACHE/lock" || return 1
	. "$VM_CACHE/ready"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# Run standalone: same as `e2e/run-in-vm --install-only`.
	set -u
	VM_SRC=$(cd "$(dirname "$0")" && pwd -P)
	VM_CACHE=${E2E_VM_CACHE:-$(cd "$VM_SRC/../.." && pwd -P)/.cache/vm}
	vm_install && vm_log "ready: kernel $VM_KVER, cache $VM_CACHE"
fi
