{{/* Labels every object of the operator carries, as deploy/ has them. */}}
{{- define "portico.labels" -}}
app.kubernetes.io/name: portico-operator
app.kubernetes.io/part-of: portico
{{- end -}}

{{- define "portico.operatorImage" -}}
{{ .Values.image.operator.repository }}:{{ .Values.image.operator.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "portico.proxyImage" -}}
{{ .Values.image.proxy.repository }}:{{ .Values.image.proxy.tag | default .Chart.AppVersion }}
{{- end -}}
