{{/* The five services, in the order the chart renders them. */}}
{{- define "sluice.serviceNames" -}}
api scheduler router billing files
{{- end -}}

{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "service" "api") */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "sluice.kafkaBrokers" -}}
{{- required "kafka.brokers is required: the Kafka bootstrap brokers as host:port[,host:port]" .Values.kafka.brokers -}}
{{- end -}}

{{/* Settings every service process reads (libs/platform config, the blob store). */}}
{{- define "sluice.commonEnv" -}}
- name: KAFKA_BROKERS
  value: {{ include "sluice.kafkaBrokers" . | quote }}
- name: HEARTBEAT_INTERVAL_MS
  value: {{ .Values.heartbeatIntervalMs | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: HEALTH_PORT
  value: {{ .Values.probes.port | quote }}
- name: BLOB_STORE
  value: s3
- name: S3_BUCKET
  value: {{ .Values.blobStore.bucket | quote }}
- name: S3_REGION
  value: {{ .Values.blobStore.region | quote }}
{{- with .Values.blobStore.endpoint }}
- name: S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: S3_FORCE_PATH_STYLE
  value: {{ .Values.blobStore.forcePathStyle | quote }}
{{- with .Values.blobStore.credentialsSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom: { secretKeyRef: { name: {{ . }}, key: AWS_ACCESS_KEY_ID } }
- name: AWS_SECRET_ACCESS_KEY
  valueFrom: { secretKeyRef: { name: {{ . }}, key: AWS_SECRET_ACCESS_KEY } }
{{- end }}
{{- with .Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- if .Values.catalogue.json }}
- name: SLUICE_CATALOGUE
  value: /etc/sluice/catalogue.json
{{- end }}
{{- end -}}
