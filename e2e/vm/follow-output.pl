#!/usr/bin/perl
# Streams the guest command's stdout and stderr files (written by the guest over the 9p repository
# share) to our own stdout and stderr while the VM runs, byte for byte.
# Usage: follow-output.pl STDOUT_FILE STDERR_FILE DONE_FILE
# Stops after DONE_FILE appears (the host script creates it once qemu has exited, i.e. once no more
# bytes can arrive) and a last read has found nothing new. Perl because perl-base is Essential in
# Debian and this needs non-blocking follow semantics that `tail -f` cannot promise at the end.
use strict;
use warnings;

my ($out_file, $err_file, $done_file) = @ARGV;
open(my $out, '<:raw', $out_file) or die "follow-output: $out_file: $!\n";
open(my $err, '<:raw', $err_file) or die "follow-output: $err_file: $!\n";
binmode STDOUT;
binmode STDERR;

# Copies whatever is new in $in to $to; returns the number of bytes copied.
sub pump {
	my ($in, $to) = @_;
	my $total = 0;
	while (1) {
		my $n = sysread($in, my $buf, 1 << 16);
		last unless $n;
		$total += $n;
		my $off = 0;
		while ($off < $n) {
			my $w = syswrite($to, $buf, $n - $off, $off);
			# Our reader went away (`| head`): keep draining silently so the VM is not held up.
			last unless defined $w;
			$off += $w;
		}
	}
	return $total;
}

$SIG{PIPE} = 'IGNORE';
while (1) {
	# Check "done" BEFORE reading: whatever was written before qemu exited is then surely read.
	my $done = -e $done_file;
	my $n = pump($out, \*STDOUT) + pump($err, \*STDERR);
	last if $done;
	select(undef, undef, undef, 0.05) unless $n;
}
