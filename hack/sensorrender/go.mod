module workflow-resume-operator/hack/sensorrender

go 1.24.1

require github.com/argoproj/argo-events v1.9.10
