#!/bin/bash
# Stage 2 of the e2e VM: PID 1 in the real root, which initramfs-init.sh has fully prepared (host's /
# over 9p + tmpfs overlay, repository read-write, /dev, /tmp, /run, /lib/modules, lo up). Loads the
# kernel modules kube-proxy's IPVS mode uses, runs the requested command once, records its exit code
# in the run directory and powers off.
#
# The run directory (on the read-write repository share, so the host sees every byte as soon as it is
# written) holds what e2e/run-in-vm put there: argv and env (NUL-separated), cwd; and what we return:
# stdout and stderr (the command's, written directly: 9p writes are synchronous, so nothing is lost
# at power-off), started (its mtime is the host's clock reading at command start), stages (boot step
# timings), rc.

run= debug= interactive=
for arg in $(</proc/cmdline); do
	case $arg in
	e2e_run=*) run=${arg#e2e_run=} ;;
	e2e_debug=*) debug=${arg#e2e_debug=} ;;
	e2e_interactive=*) interactive=${arg#e2e_interactive=} ;;
	esac
done

# Framework messages go to the serial console, which the host keeps in console.log (and shows with
# E2E_VM_DEBUG=1): never mixed into the command's own output.
exec </dev/null >/dev/console 2>&1
# We inherit the initramfs' PATH=/bin; modprobe and friends live in sbin.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
log() { echo "e2e-guest: $*"; }
[ -z "$debug" ] || set -x

# Guest uptime at each step (initramfs-init.sh started the list).
stages=${E2E_STAGES:-}
stage() {
	local up _
	read -r up _ </proc/uptime
	stages+=" $1=$up"
}
stage stage2

# Straight to the kernel (reboot(2) via busybox-static; the host's systemd poweroff would want PID 1
# to be systemd), silently at loglevel 0; sysrq as the fallback.
power_off() {
	/bin/busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 30
}
[ -n "$run" ] && [ -d "$run" ] || { log "run directory '$run' missing"; power_off; }

# Load up front what kube-proxy's IPVS mode uses, so every test sees the same kernel state
# (autoloading would cover most, but not the IPVS schedulers nor nlmon/dummy links created over
# netlink). Missing ones are skipped: -a goes on past them; one modprobe because each exec is slow.
shopt -s nullglob
modules=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_dh ip_vs_sed ip_vs_nq ip_vs_mh
	dummy nlmon ip_set xt_set br_netfilter veth bridge)
read -r kver </proc/sys/kernel/osrelease
for f in /lib/modules/"$kver"/kernel/net/netfilter/ipset/ip_set_*.ko*; do
	f=${f##*/}
	modules+=("${f%%.ko*}")
done
modprobe -q -a "${modules[@]}" 2>/dev/null
if [ -n "$debug" ]; then
	for m in "${modules[@]}"; do
		[ -d "/sys/module/$m" ] || log "module $m not loaded (missing from this kernel?)"
	done
fi
stage modules

# --- the command ---------------------------------------------------------------------------------
mapfile -d '' -t argv <"$run/argv"
mapfile -d '' -t envs <"$run/env"
cwd=$(<"$run/cwd")
if [ -n "$interactive" ]; then
	# E2E_VM_INTERACTIVE: the command owns the serial console (the host's terminal) as its
	# controlling tty, so shells and job control work.
	io=(/dev/ttyS0 /dev/ttyS0 /dev/ttyS0)
	setsid=(setsid -c)
else
	io=(/dev/null "$run/stdout" "$run/stderr")
	setsid=()
fi
[ -z "$debug" ] || log "running in $cwd: ${argv[*]}"
stage command
echo "$stages" >"$run/stages"
: >"$run/started"
(
	# No xtrace from here: stderr is the command's now. (The braces keep "+ set +x" itself quiet.)
	{ set +x; } 2>/dev/null
	# Exactly the environment the host passed, nothing of PID 1's.
	for v in $(compgen -e); do unset "$v"; done
	for kv in "${envs[@]}"; do export "$kv"; done
	cd "$cwd" || exit 125
	# A clearer message than bash's for the common mistake (a tool not on the PATH we were given).
	if [[ ${argv[0]} != */* ]] && ! command -v -- "${argv[0]}" >/dev/null; then
		echo "run-in-vm: ${argv[0]}: command not found in the guest (PATH=$PATH)" >&2
		exit 127
	fi
	exec "${setsid[@]}" "${argv[@]}"
) <"${io[0]}" >>"${io[1]}" 2>>"${io[2]}"
rc=$?
# Killed by a signal? If the guest's OOM killer did it, say so (the host prints this file).
if [ "$rc" -gt 128 ]; then
	dmesg 2>/dev/null | grep -iE 'out of memory|oom-kill|killed process' | tail -n 5 >"$run/kernel-kills"
fi
# (The host reads it only after qemu has exited, so no write-then-rename needed.)
echo "$rc" >"$run/rc"

# Let leftovers (a tcpdump the command left running, say) flush and exit before the power goes.
{ set +x; } 2>/dev/null
kill -TERM -1 2>/dev/null
for _ in {1..20}; do
	busy=
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != $$ ] || continue
		# Kernel threads and zombies have an empty cmdline.
		c=
		read -r -d '' c <"$p/cmdline" 2>/dev/null
		[ -z "$c" ] || { busy=1; break; }
	done
	[ -n "$busy" ] || break
	sleep 0.1
done
[ -z "$debug" ] || log "exit code $rc; powering off"
power_off
