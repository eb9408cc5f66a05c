module workflow-resume-operator/hack/node/pause

go 1.24.0
