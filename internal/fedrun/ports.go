package fedrun

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var addrRE = regexp.MustCompile(`(?m)^(?:listen|peer_listen)\s*=\s*"([^"]+)"`)

// CheckPortsFree checks that every address the configs listen on is free,
// and says which process holds one that is not, so that a federation is
// never started beside, or mistaken for, nodes that are already running.
func CheckPortsFree(configs []string) error {
	var busy []string
	for _, c := range configs {
		b, err := os.ReadFile(c)
		if err != nil {
			return err
		}
		for _, m := range addrRE.FindAllSubmatch(b, -1) {
			addr := string(m[1])
			l, err := net.Listen("tcp", addr)
			if err != nil {
				busy = append(busy, fmt.Sprintf("%s (%s) is taken%s", addr, c, holder(addr)))
				continue
			}
			l.Close()
		}
	}
	if len(busy) > 0 {
		return fmt.Errorf("the example ports are not free; stop what holds them:\n  %s", strings.Join(busy, "\n  "))
	}
	return nil
}

// holder names the process listening on addr, where /proc tells (Linux).
func holder(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return ""
	}
	inode := listeningInode(p)
	if inode == "" {
		return ""
	}
	procs, _ := os.ReadDir("/proc")
	for _, d := range procs {
		pid := d.Name()
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", pid, "fd"))
		for _, fd := range fds {
			if link, _ := os.Readlink(filepath.Join("/proc", pid, "fd", fd.Name())); link == "socket:["+inode+"]" {
				comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
				return fmt.Sprintf(" by %s, pid %s", strings.TrimSpace(string(comm)), pid)
			}
		}
	}
	return ""
}

// listeningInode finds the socket inode of a TCP listener on port in
// /proc/net/tcp and tcp6.
func listeningInode(port int) string {
	hex := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if f := strings.Fields(line); len(f) >= 10 && strings.HasSuffix(f[1], hex) && f[3] == "0A" {
				return f[9]
			}
		}
	}
	return ""
}
