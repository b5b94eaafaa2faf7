{{/* Name of the chart, or nameOverride. */}}
{{- define "cvmfs-ephemeral.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of the release's objects: the release name if it contains the chart name,
else RELEASE-CHART; 63 characters at most, as DNS labels are.
*/}}
{{- define "cvmfs-ephemeral.fullname" -}}
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

{{/* Name of the Deployment, ClusterRole and bindings: FULLNAME-operator, as config/ names them. */}}
{{- define "cvmfs-ephemeral.operatorName" -}}
{{- printf "%s-operator" (include "cvmfs-ephemeral.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cvmfs-ephemeral.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cvmfs-ephemeral.operatorName" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cvmfs-ephemeral.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: fixed for the life of a release, since a Deployment's selector is immutable.
config/manager selects the same labels (with part-of from its commonLabels), so that the
release cvmfs-ephemeral can take over an install made with kustomize and the other way round.
*/}}
{{- define "cvmfs-ephemeral.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cvmfs-ephemeral.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: cvmfs-ephemeral
{{- end }}

{{- define "cvmfs-ephemeral.labels" -}}
helm.sh/chart: {{ include "cvmfs-ephemeral.chart" . }}
{{ include "cvmfs-ephemeral.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The operator's image: REPOSITORY@DIGEST when image.digest is set, else REPOSITORY:TAG. */}}
{{- define "cvmfs-ephemeral.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The data plane's image: REPOSITORY@DIGEST when dataPlaneImage.digest is set, else REPOSITORY:TAG. */}}
{{- define "cvmfs-ephemeral.dataPlaneImage" -}}
{{- if .Values.dataPlaneImage.digest }}
{{- printf "%s@%s" .Values.dataPlaneImage.repository .Values.dataPlaneImage.digest }}
{{- else }}
{{- printf "%s:%s" .Values.dataPlaneImage.repository (.Values.dataPlaneImage.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The operator's metrics Service: FULLNAME-operator-metrics, as config/prometheus names it. */}}
{{- define "cvmfs-ephemeral.metricsServiceName" -}}
{{- printf "%s-metrics" (include "cvmfs-ephemeral.operatorName" . | trunc 55 | trimSuffix "-") }}
{{- end }}
