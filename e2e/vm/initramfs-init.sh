#!/bin/busybox sh
# /init of the e2e VM's initramfs (busybox only). Builds the real root and switch_roots into it:
#   - the HOST's / shared read-only over 9p, with a tmpfs overlay on top (the guest may write anywhere
#     without touching the host);
#   - the repository shared read-write at its own path (results come back this way);
#   - what udev/systemd would set up on a real node (devpts, /dev/fd links, tmpfs /tmp and /run,
#     hostname, lo up), done here because busybox applets cost nothing while every exec of a host
#     binary over 9p costs tens of milliseconds under TCG;
#   - the Debian kernel's modules (unpacked in the cache) on /lib/modules.
# switch_root, not chroot: the kernel's module autoloader execs /sbin/modprobe in PID 1's root, so
# autoloading (ipset types, iptables matches) only works if that root is the real one.
# Stage 2 (e2e/vm/guest-init.sh, read from the shared repo) loads modules and runs the command.
# Editing this file rebuilds the initramfs automatically (see install.sh).

/bin/busybox --install -s /bin
export PATH=/bin

die() {
	echo "e2e-initramfs: $*" >/dev/console
	# No exit code in the run directory: the host reports a boot failure with the console log.
	poweroff -f
	sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Guest uptime at each step, for E2E_VM_TIMING (stage 2 writes them out).
read -r up _ </proc/uptime
export E2E_STAGES="init=$up"

for m in $(cat /modules/order); do
	insmod "/modules/$m" || die "insmod $m failed"
done

repo= kernel_dir= hostname=ipvs-e2e deps=cached
for arg in $(cat /proc/cmdline); do
	case $arg in
	e2e_repo=*) repo=${arg#e2e_repo=} ;;
	e2e_kernel_dir=*) kernel_dir=${arg#e2e_kernel_dir=} ;;
	e2e_hostname=*) hostname=${arg#e2e_hostname=} ;;
	e2e_deps=*) deps=${arg#e2e_deps=} ;;
	esac
done
[ -n "$repo" ] && [ -n "$kernel_dir" ] || die "e2e_repo= or e2e_kernel_dir= missing on the kernel command line"

# Big 9p messages: far fewer round trips for node_modules reads and capture writes.
opts=trans=virtio,version=9p2000.L,msize=262144

# The host's / is only ever read, so let the guest cache it (cache=loose): exec'ing binaries and
# libraries over uncached 9p costs a round trip per page and per lookup. (The repository share below
# stays uncached: the guest's writes must reach the host at once, and the host may change files.)
# The virtio devices may still be probing when we get here: retry for a few seconds.
i=0
until mount -t 9p -o "$opts,ro,cache=loose" hostroot /lower 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || die "cannot mount the host root over 9p"
	sleep 0.1
done
mount -t tmpfs -o mode=0755 tmpfs /rw || die "tmpfs failed"
mkdir -p /rw/upper /rw/work
R=/newroot
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work $R ||
	die "overlay mount failed"

mount --move /proc $R/proc
mount --move /sys $R/sys
mount --move /dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
# A bare devtmpfs lacks these; bash process substitution and tools writing /dev/stdout need them.
ln -sfn /proc/self/fd $R/dev/fd
ln -sfn /proc/self/fd/0 $R/dev/stdin
ln -sfn /proc/self/fd/1 $R/dev/stdout
ln -sfn /proc/self/fd/2 $R/dev/stderr
# Fresh /tmp and /run: the host's (visible through the overlay) would leak its sockets, pid and lock
# files (iptables' /run/xtables.lock) into the guest.
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=0755 tmpfs $R/run
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null

# The repository, read-write, after /tmp and /run so that a checkout below them is not hidden.
mkdir -p "$R$repo"
mount -t 9p -o "$opts" repo "$R$repo" || die "cannot mount the repository over 9p at $repo"
# Node itself (.tools), node_modules and the pod suite's image store (.cache/pod-store, written by
# e2e/pod/load-image-store before the VM boots) are big read-only inputs: serve them from the cached host
# root instead of the uncached repository share (node starts several times faster; the pod's node binary
# and modules come from that store), under a tmpfs overlay so a tool that writes there (caches, podman's
# lock files) still works; such writes are discarded.
if [ "$deps" = cached ]; then
	for d in .tools node_modules .cache/pod-store; do
		[ -d "/lower$repo/$d" ] || continue
		mkdir -p "/rw/$d/upper" "/rw/$d/work"
		mount -t overlay overlay -o "lowerdir=/lower$repo/$d,upperdir=/rw/$d/upper,workdir=/rw/$d/work" \
			"$R$repo/$d" || die "overlay on $repo/$d failed"
	done
fi

# The kernel's modules, from the cached read-only root too (modprobe reads its indexes on every call).
# (/lib is a relative symlink to usr/lib on Debian, so this stays inside the new root.)
mkdir -p $R/lib/modules
mount -o bind "/lower$kernel_dir/lib/modules" $R/lib/modules || die "cannot bind $kernel_dir/lib/modules"
hostname "$hostname"
echo "$hostname" >$R/etc/hostname
# lo first: with no local address at all IPVS rejects every real server ("address not unicast").
ip link set lo up

read -r up _ <$R/proc/uptime
E2E_STAGES="$E2E_STAGES mounted=$up"
# Stage 2 runs from a private copy: bash reads scripts as it goes, so editing the repo's copy while
# a guest runs it (tests and benchmarks run long) would otherwise feed that guest a mangled script.
cp "$R$repo/e2e/vm/guest-init.sh" $R/run/e2e-guest-init.sh || die "cannot read $repo/e2e/vm/guest-init.sh"
exec switch_root $R /bin/bash /run/e2e-guest-init.sh
