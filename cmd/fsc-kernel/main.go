// Command fsc-kernel is the analyst's side of fsc-kernel: the Jupyter kernel
// and the headless study runner. This version reports its version; the
// kernel and runner subcommands follow.
package main

import (
	"fmt"
	"os"
)

// version is the version of fsc-kernel.
const version = "0.1.0"

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "version" || os.Args[1] == "--version") {
		fmt.Println("fsc-kernel", version)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: fsc-kernel version")
	os.Exit(2)
}
