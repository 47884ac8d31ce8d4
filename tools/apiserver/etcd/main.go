// Command etcd is etcd's own entry point (go.etcd.io/etcd/server/v3's main
// package): `go install go.etcd.io/etcd/server/v3@v3.7.0` refuses to build
// because that module's go.mod has replace directives, so it is built here.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
