//go:build tools

// Package etcd pins the etcd server the local control plane is built from.
package etcd

import (
	_ "go.etcd.io/etcd/server/v3"
)
