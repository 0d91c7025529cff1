package fedrun

import "syscall"

// childAttr makes a started node die with the process that started it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
