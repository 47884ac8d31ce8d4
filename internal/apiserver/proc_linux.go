package apiserver

import "syscall"

// childProcAttr makes the kernel kill etcd and the API server when the test
// process dies without calling Stop (a go test timeout, a panic): they
// would otherwise run on, holding their ports and files.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
