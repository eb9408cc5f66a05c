//go:build tools

// Package argo pins the Argo Workflows commands the local control plane is built from,
// and the Argo Events module whose CRDs the plane installs.
package argo

import (
	_ "github.com/argoproj/argo-workflows/v3/cmd/argo"
	_ "github.com/argoproj/argo-workflows/v3/cmd/workflow-controller"
)
