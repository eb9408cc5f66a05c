{{- define "wro.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wro.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "wro.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "wro.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wro.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wro.labels" -}}
{{ include "wro.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "wro.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wro.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* A setting as a flag value: YAML numbers arrive as floats, which Go would print as 3e+05. */}}
{{- define "wro.settingValue" -}}
{{- if and (kindIs "float64" .) (eq (floor .) .) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/*
One alert of the PrometheusRule: name, expr, summary, description and config (enabled, severity,
for) from the caller, runbook (the troubleshooting guide's URL) and labels (added to every alert).
*/}}
{{- define "wro.alert" -}}
{{- if .config.enabled }}
- alert: {{ .name }}
  expr: {{ .expr | quote }}
  {{- with .config.for }}
  for: {{ . }}
  {{- end }}
  labels:
    severity: {{ .config.severity }}
    {{- with .labels }}{{ toYaml . | nindent 4 }}{{ end }}
  annotations:
    summary: {{ .summary | quote }}
    description: {{ .description | quote }}
    runbook_url: {{ printf "%s#%s" .runbook (lower .name) | quote }}
{{- end }}
{{- end -}}

{{/* The image: repository, then @digest when one is set, else :tag (the appVersion by default). */}}
{{- define "wro.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The leader Lease's name: settings.leaseName, or the release's full name. */}}
{{- define "wro.leaseName" -}}
{{- default (include "wro.fullname" .) .Values.settings.leaseName -}}
{{- end -}}

{{/* The operator's permissions: the rules of config/rbac/cluster-role.yaml (a test keeps them equal). */}}
{{- define "wro.rules" -}}
- apiGroups: [resume.workflows.dev]
  resources: [resumerequests]
  verbs: [get, list, watch, delete]
- apiGroups: [resume.workflows.dev]
  resources: [resumerequests/status]
  verbs: [patch]
- apiGroups: [argoproj.io]
  resources: [workflows]
  verbs: [get, list, watch, update, patch]
- apiGroups: ['']
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/*
Values that contradict each other stop the install with a message that says what to change, as
the operator would at start-up, but before anything is applied.
*/}}
{{- define "wro.validate" -}}
{{- $s := .Values.settings -}}
{{- if and (eq $s.backend "argo-server") (not $s.argoServerUrl) -}}
{{- fail "settings.backend is argo-server: set settings.argoServerUrl too" -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not $s.leaderElection) -}}
{{- fail (printf "replicas is %d with settings.leaderElection false: every replica would reconcile; keep leader election on or run one replica" (int .Values.replicas)) -}}
{{- end -}}
{{- if ge (int64 $s.renewDeadlineMs) (int64 $s.leaseDurationMs) -}}
{{- fail "settings.renewDeadlineMs must be shorter than settings.leaseDurationMs" -}}
{{- end -}}
{{- if ge (int64 $s.retryPeriodMs) (int64 $s.renewDeadlineMs) -}}
{{- fail "settings.retryPeriodMs must be shorter than settings.renewDeadlineMs" -}}
{{- end -}}
{{- if gt (int64 $s.retryInitialDelayMs) (int64 $s.retryMaxDelayMs) -}}
{{- fail "settings.retryInitialDelayMs must not exceed settings.retryMaxDelayMs" -}}
{{- end -}}
{{- if and .Values.argoServer.caBundle.configMapName .Values.argoServer.caBundle.secretName -}}
{{- fail "argoServer.caBundle: set configMapName or secretName, not both" -}}
{{- end -}}
{{- end -}}
