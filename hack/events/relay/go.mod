module workflow-resume-operator/hack/events/relay

go 1.24.1
