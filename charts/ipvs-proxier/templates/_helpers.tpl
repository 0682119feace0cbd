{{/* The chart's name, overridable; 63 characters at most (a label value's limit). */}}
{{- define "ipvs-proxier.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects. The release name alone when it already contains the chart's
name (release "ipvs-proxier" gives "ipvs-proxier", not "ipvs-proxier-ipvs-proxier").
*/}}
{{- define "ipvs-proxier.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ipvs-proxier.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the pods: never change them (a DaemonSet's selector is immutable). */}}
{{- define "ipvs-proxier.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ipvs-proxier.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ipvs-proxier.labels" -}}
helm.sh/chart: {{ include "ipvs-proxier.chart" . }}
{{ include "ipvs-proxier.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ipvs-proxier.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ipvs-proxier.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ipvs-proxier.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/* The port of a host:port bind address ("127.0.0.1:10249", "[::1]:10249"). */}}
{{- define "ipvs-proxier.bindPort" -}}
{{- $port := regexFind "[0-9]+$" (toString .) }}
{{- if not $port }}
{{- fail (printf "ipvs-proxier: bind address %q has no port" (toString .)) }}
{{- end }}
{{- $port }}
{{- end }}

{{/* The host of a bind address, without IPv6 brackets. */}}
{{- define "ipvs-proxier.bindHost" -}}
{{- regexReplaceAll ":[0-9]+$" (toString .) "" | trimPrefix "[" | trimSuffix "]" }}
{{- end }}

{{/* Whether anything outside the node scrapes the metrics port: then it must not stay on 127.0.0.1. */}}
{{- define "ipvs-proxier.metricsExposed" -}}
{{- if or .Values.serviceMonitor.enabled .Values.metricsService.enabled }}true{{ end }}
{{- end }}

{{/*
--metrics-bind-address as passed: the configured one, or the same port on every address (0.0.0.0, or
[::] when an IPv6 address was configured) when Prometheus scrapes it from outside the node.
*/}}
{{- define "ipvs-proxier.metricsBindAddress" -}}
{{- $addr := toString .Values.metricsBindAddress }}
{{- if include "ipvs-proxier.metricsExposed" . }}
{{- $port := include "ipvs-proxier.bindPort" $addr }}
{{- if contains ":" (include "ipvs-proxier.bindHost" $addr) }}
{{- printf "[::]:%s" $port }}
{{- else }}
{{- printf "0.0.0.0:%s" $port }}
{{- end }}
{{- else }}
{{- $addr }}
{{- end }}
{{- end }}

{{/*
A Go duration ("30s", "1m30s", "500ms", "2h") in seconds, for alert thresholds derived from the sync
period. Anything else fails the render rather than producing a wrong threshold.
*/}}
{{- define "ipvs-proxier.durationSeconds" -}}
{{- $d := toString . }}
{{- if not (regexMatch "^(0|([0-9]+(\\.[0-9]+)?(h|m|s|ms))+)$" $d) }}
{{- fail (printf "ipvs-proxier: %q is not a duration such as 30s, 1m or 1m30s" $d) }}
{{- end }}
{{- $unitSeconds := dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001 }}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(h|ms|m|s)" $d -1 }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" . | float64 }}
{{- $unit := regexReplaceAll "^[0-9]+(\\.[0-9]+)?" . "" }}
{{- $total = addf $total (mulf $number (get $unitSeconds $unit)) }}
{{- end }}
{{- $total }}
{{- end }}

{{/* Where the kube-proxy ConfigMap is mounted: kubeadm's path, which its kubeconfig.conf is named by. */}}
{{- define "ipvs-proxier.kubeProxyConfigDir" -}}
/var/lib/kube-proxy
{{- end }}

{{/* The name of the kube-proxy ConfigMap to run with (--config), or nothing. */}}
{{- define "ipvs-proxier.kubeProxyConfigMap" -}}
{{- (.Values.kubeProxyConfig | default dict).configMapName | default "" }}
{{- end }}

{{/*
The container's args: kube-proxy's flag names, from the values. With a kube-proxy ConfigMap, --config
comes first (as in kubeadm's DaemonSet) and the flags whose values have non-empty defaults are left out
so that the file decides them (flags win over the file).
*/}}
{{- define "ipvs-proxier.args" -}}
{{- $configMap := include "ipvs-proxier.kubeProxyConfigMap" . -}}
{{- if $configMap -}}
- {{ printf "--config=%s/%s" (include "ipvs-proxier.kubeProxyConfigDir" .) (required "kubeProxyConfig.key is required with kubeProxyConfig.configMapName" .Values.kubeProxyConfig.key) | quote }}
{{ end -}}
- "--hostname-override=$(NODE_NAME)"
{{- with .Values.kubeconfig }}
- {{ printf "--kubeconfig=%s" . | quote }}
{{- end }}
{{- with .Values.master }}
- {{ printf "--master=%s" . | quote }}
{{- end }}
{{- with .Values.clusterCIDR }}
- {{ printf "--cluster-cidr=%s" . | quote }}
{{- end }}
{{- if .Values.masqueradeAll }}
- "--masquerade-all"
{{- end }}
{{- if not $configMap }}
- {{ printf "--ipvs-scheduler=%s" (required "ipvs.scheduler is required" .Values.ipvs.scheduler) | quote }}
{{- end }}
{{- if .Values.ipvs.strictARP }}
- "--ipvs-strict-arp"
{{- end }}
{{- with .Values.ipvs.excludeCIDRs }}
- {{ printf "--ipvs-exclude-cidrs=%s" (join "," .) | quote }}
{{- end }}
{{- if not $configMap }}
- {{ printf "--ipvs-sync-period=%s" (required "ipvs.syncPeriod is required" .Values.ipvs.syncPeriod) | quote }}
{{- with .Values.ipvs.minSyncPeriod }}
- {{ printf "--ipvs-min-sync-period=%s" . | quote }}
{{- end }}
{{- end }}
{{- with .Values.nodePortAddresses }}
- {{ printf "--nodeport-addresses=%s" (join "," .) | quote }}
{{- end }}
{{- if or (not $configMap) (include "ipvs-proxier.metricsExposed" .) }}
- {{ printf "--metrics-bind-address=%s" (include "ipvs-proxier.metricsBindAddress" .) | quote }}
{{- end }}
- {{ printf "--healthz-bind-address=%s" .Values.healthzBindAddress | quote }}
{{- if not $configMap }}
- "-v"
- {{ .Values.verbosity | int | toString | quote }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ toString . | quote }}
{{- end }}
{{- end }}

{{/* An HTTP probe on the health port; host only when the server is bound to one address. */}}
{{- define "ipvs-proxier.healthProbe" -}}
{{- $bind := toString .root.Values.healthzBindAddress }}
{{- $host := include "ipvs-proxier.bindHost" $bind -}}
httpGet:
  path: {{ .path }}
  port: {{ include "ipvs-proxier.bindPort" $bind | int }}
  {{- if not (has $host (list "" "0.0.0.0" "::")) }}
  host: {{ $host | quote }}
  {{- end }}
  scheme: HTTP
{{- toYaml .settings | nindent 0 }}
{{- end }}

{{/* The series selector alerts use. */}}
{{- define "ipvs-proxier.alertSelector" -}}
{{- if .Values.prometheusRule.selector }}
{{- .Values.prometheusRule.selector }}
{{- else }}
{{- printf "job=%q" (required "serviceMonitor.jobName or prometheusRule.selector is required for the alerts" .Values.serviceMonitor.jobName) }}
{{- end }}
{{- end }}

{{/* An alert's labels: its severity and the labels every alert gets. Takes (dict "root" $ "alert" .). */}}
{{- define "ipvs-proxier.alertLabels" -}}
severity: {{ required (printf "prometheusRule.alerts: %s needs a severity" .name) .alert.severity | quote }}
{{- with .root.Values.prometheusRule.additionalAlertLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* runbook_url for an alert, when prometheusRule.runbookUrlBase is set. Takes (dict "root" $ "name" ...). */}}
{{- define "ipvs-proxier.runbook" -}}
{{- with .root.Values.prometheusRule.runbookUrlBase -}}
runbook_url: {{ printf "%s#%s" (trimSuffix "/" .) (lower $.name) | quote }}
{{- end }}
{{- end }}

{{/*
The capabilities the proxier's container gets when it is not privileged (measured in the pod suite,
test/e2e/pod/daemonset-pod.test.ts): NET_ADMIN always (IPVS, ipsets, nf_tables, the kube-ipvs0 link and
its addresses), NET_RAW when extraEnv picks the legacy iptables backend (iptables-legacy reads and writes
its tables over a raw socket; iptables-nft needs none), then extraCapabilities.
*/}}
{{- define "ipvs-proxier.capabilities" -}}
{{- $caps := list "NET_ADMIN" }}
{{- range .Values.extraEnv }}
{{- if and (eq (toString .name) "IPVS_PROXIER_IPTABLES") (eq (toString .value) "legacy") }}
{{- $caps = append $caps "NET_RAW" }}
{{- end }}
{{- end }}
{{- concat $caps (.Values.extraCapabilities | default list) | uniq | toJson }}
{{- end }}

{{/*
The securityContext of the proxier and of NOTES.txt's cleanup pod: privileged only when
.Values.privileged, else every capability dropped but ipvs-proxier.capabilities, and no way to gain more
(no setuid binary or file capability is needed).
*/}}
{{- define "ipvs-proxier.securityContext" -}}
{{- if .Values.privileged -}}
privileged: true
{{- else -}}
privileged: false
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
  add: {{ include "ipvs-proxier.capabilities" . }}
{{- end }}
{{- end }}
