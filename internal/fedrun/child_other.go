//go:build !linux

package fedrun

import "syscall"

// childAttr is empty where a child cannot be tied to its parent's life:
// Stop and Kill end the nodes.
func childAttr() *syscall.SysProcAttr { return nil }
